package dev.locksmith.docs;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ties the documentation's Java snippets to compiled test code, and its copied excerpts to their source.
 * <ul>
 * <li>Every {@code ```java} block of the documentation is the text between a pair of markers
 * {@code // --- docs: NAME (begin) ---} and {@code // --- docs: NAME (end) ---} in a test source under some
 * module's {@code src/test/java} (compared line by line after expanding leading tabs to four spaces and
 * removing the common indentation), and each of its {@code import} lines is an import of that source.
 * A block whose method bodies are elided ({@code ...}) cannot compile: it says so in a comment
 * {@code <!-- snippet not compiled: REASON -->} on the line before it.</li>
 * <li>Every marked region appears in the documentation, so a renamed or dropped snippet is noticed.</li>
 * <li>Text between {@code <!-- copy of PATH (begin) -->} and {@code <!-- copy of PATH (end) -->} occurs
 * verbatim in the file at PATH (relative to the copy).</li>
 * </ul>
 */
final class DocsSnippets {

	static final String NOT_COMPILED = "<!-- snippet not compiled:";

	private static final Pattern REGION = Pattern
		.compile("(?m)^[ \\t]*// --- docs: (.+?) \\(begin\\) ---[ \\t]*\\n(.*?)^[ \\t]*// --- docs: \\1 \\(end\\) ---", Pattern.DOTALL);

	private static final Pattern COPY = Pattern
		.compile("<!-- copy of (\\S+) \\(begin\\) -->\\n(.*?)<!-- copy of \\1 \\(end\\) -->", Pattern.DOTALL);

	private DocsSnippets() {
	}

	/**
	 * A marked region of a test source.
	 * @param source the test source
	 * @param name the name in its markers
	 * @param lines its lines, normalised
	 */
	record Region(Path source, String name, List<String> lines) {
	}

	/** Every marked region in the test sources under the root ({@code src/test/java} of any module). */
	static List<Region> regions(Path root) {
		List<Region> regions = new ArrayList<>();
		for (Path source : testSources(root)) {
			Matcher matcher = REGION.matcher(MarkdownDocs.read(source));
			while (matcher.find()) {
				regions.add(new Region(source, matcher.group(1), normalise(matcher.group(2))));
			}
		}
		return regions;
	}

	/**
	 * The problems of the given Markdown files' Java snippets: a block that is no marked region (with
	 * its imports), and a marked region that no block shows.
	 */
	static List<String> snippetProblems(Path root, List<Path> files) {
		List<Region> regions = regions(root);
		Set<Region> shown = new LinkedHashSet<>();
		List<String> problems = new ArrayList<>();
		for (Path file : files) {
			for (MarkdownDocs.CodeBlock block : MarkdownDocs.codeBlocks(MarkdownDocs.read(file), "java")) {
				if (block.before().startsWith(NOT_COMPILED)) {
					continue;
				}
				List<String> imports = new ArrayList<>();
				List<String> code = new ArrayList<>();
				for (String line : block.text().split("\n")) {
					(line.startsWith("import ") ? imports : code).add(line);
				}
				List<String> lines = normalise(String.join("\n", code));
				Region region = regions.stream()
					.filter(r -> r.lines().equals(lines)
							&& Arrays.asList(MarkdownDocs.read(r.source()).split("\n")).containsAll(imports))
					.findFirst()
					.orElse(null);
				if (region == null) {
					problems.add(root.relativize(file) + ":" + block.line() + ": a java block that is no marked"
							+ " region of a test source (with its imports), starting '" + lines.get(0).trim() + "'"
							+ "; mark it '" + NOT_COMPILED + " REASON -->' if it cannot compile");
				}
				else {
					shown.add(region);
				}
			}
		}
		for (Region region : regions) {
			if (!shown.contains(region)) {
				problems.add(root.relativize(region.source()) + ": region '" + region.name()
						+ "' appears in no java block of the documentation");
			}
		}
		return problems;
	}

	/** The copies ({@code <!-- copy of PATH … -->}) in the given files that differ from their source. */
	static List<String> copyProblems(Path root, List<Path> files) {
		List<String> problems = new ArrayList<>();
		for (Path file : files) {
			Matcher matcher = COPY.matcher(MarkdownDocs.read(file));
			while (matcher.find()) {
				Path source = file.getParent().resolve(matcher.group(1)).normalize();
				if (!Files.isRegularFile(source) || !MarkdownDocs.read(source).contains(matcher.group(2))) {
					problems.add(root.relativize(file) + ": the copy of " + matcher.group(1)
							+ " is not (or no longer) text of that file");
				}
			}
		}
		return problems;
	}

	/** Lines with leading tabs as four spaces each, no trailing blanks, no blank first or last line, dedented. */
	static List<String> normalise(String text) {
		List<String> lines = new ArrayList<>();
		for (String line : text.split("\n", -1)) {
			int tabs = 0;
			while (tabs < line.length() && line.charAt(tabs) == '\t') {
				tabs++;
			}
			lines.add(("    ".repeat(tabs) + line.substring(tabs)).stripTrailing());
		}
		while (!lines.isEmpty() && lines.get(0).isEmpty()) {
			lines.remove(0);
		}
		while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
			lines.remove(lines.size() - 1);
		}
		int indent = lines.stream()
			.filter(l -> !l.isEmpty())
			.mapToInt(l -> l.length() - l.stripLeading().length())
			.min()
			.orElse(0);
		lines.replaceAll(l -> l.isEmpty() ? l : l.substring(indent));
		return lines;
	}

	private static List<Path> testSources(Path root) {
		List<Path> sources = new ArrayList<>();
		try {
			Files.walkFileTree(root, new SimpleFileVisitor<>() {
				@Override
				public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
					String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
					boolean skipped = !dir.equals(root) && (name.equals("target") || name.startsWith("."));
					return skipped ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
				}

				@Override
				public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
					if (file.toString().endsWith(".java") && file.toString().replace(File.separatorChar, '/').contains("/src/test/java/")) {
						sources.add(file);
					}
					return FileVisitResult.CONTINUE;
				}
			});
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		sources.sort(null);
		return sources;
	}

}
