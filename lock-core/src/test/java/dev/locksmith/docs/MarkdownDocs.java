package dev.locksmith.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The project's Markdown documentation as the build checks it: README.md, CHANGELOG.md and every
 * {@code docs/**}{@code /*.md}, their relative links, the anchors GitHub gives their headings, and their
 * fenced code blocks.
 */
final class MarkdownDocs {

	private static final Pattern FENCE = Pattern.compile("^\\s{0,3}(```|~~~)(.*)$");

	private static final Pattern HEADING = Pattern.compile("^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");

	private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s+(?:id|name)=\"([^\"]+)\"");

	private static final Pattern CODE_SPAN = Pattern.compile("(`+)(?:(?!\\1).)+?\\1");

	private static final Pattern INLINE_LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");

	private static final Pattern REFERENCE_DEFINITION = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?([^\\s>]+)>?");

	private static final Pattern HTML_LINK = Pattern.compile("(?:href|src)=\"([^\"]+)\"");

	private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

	private MarkdownDocs() {
	}

	/**
	 * The repository's root: the nearest directory at or above the working directory that holds
	 * README.md and docs/.
	 */
	static Path repositoryRoot() {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null) {
			if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
				return dir;
			}
			dir = dir.getParent();
		}
		throw new IllegalStateException("no README.md with a docs/ folder at or above " + Path.of("").toAbsolutePath());
	}

	/** README.md, CHANGELOG.md (when present) and every Markdown file under docs/, in a stable order. */
	static List<Path> files(Path root) {
		List<Path> files = new ArrayList<>();
		files.add(root.resolve("README.md"));
		if (Files.isRegularFile(root.resolve("CHANGELOG.md"))) {
			files.add(root.resolve("CHANGELOG.md"));
		}
		try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
			docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return files;
	}

	/**
	 * The anchor GitHub gives a heading: its text without Markdown link targets, lower case, every
	 * character but letters, digits, spaces, '-' and '_' dropped, spaces turned into '-'.
	 */
	static String anchorOf(String heading) {
		String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1").toLowerCase(Locale.ROOT);
		return text.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
	}

	/** The anchors of a Markdown text: one per heading (repeats get "-1", "-2", …) and explicit HTML anchors. */
	static Set<String> anchors(String markdown) {
		Set<String> anchors = new LinkedHashSet<>();
		Map<String, Integer> seen = new HashMap<>();
		for (String line : proseLines(markdown)) {
			Matcher heading = HEADING.matcher(line);
			if (heading.matches()) {
				String anchor = anchorOf(heading.group(1));
				int repeat = seen.merge(anchor, 1, Integer::sum) - 1;
				anchors.add(repeat == 0 ? anchor : anchor + "-" + repeat);
			}
			Matcher html = HTML_ANCHOR.matcher(line);
			while (html.find()) {
				anchors.add(html.group(1));
			}
		}
		return anchors;
	}

	/**
	 * Every relative link of the given files that does not resolve: a missing file, or a missing
	 * {@code #anchor} in a Markdown file. Links with a scheme (https:, mailto:) are not followed.
	 */
	static List<String> brokenLinks(Path root, List<Path> files) {
		List<String> broken = new ArrayList<>();
		for (Path file : files) {
			List<String> lines = proseLines(read(file));
			for (int i = 0; i < lines.size(); i++) {
				String line = lines.get(i);
				for (String target : linkTargets(line)) {
					String problem = problem(root, file, target);
					if (problem != null) {
						broken.add(root.relativize(file) + ":" + (i + 1) + ": " + target + " (" + problem + ")");
					}
				}
			}
		}
		return broken;
	}

	/**
	 * The fenced code blocks whose info string starts with the given language, each without its fences,
	 * with the line number of its opening fence and the last non-blank line before it.
	 */
	static List<CodeBlock> codeBlocks(String markdown, String language) {
		List<CodeBlock> blocks = new ArrayList<>();
		StringBuilder block = null;
		String fence = null;
		String before = "";
		int start = 0;
		String[] lines = markdown.split("\n", -1);
		for (int i = 0; i < lines.length; i++) {
			String line = lines[i];
			Matcher matcher = FENCE.matcher(line);
			if (fence == null && matcher.matches()) {
				fence = matcher.group(1);
				start = i + 1;
				block = matcher.group(2).trim().startsWith(language) ? new StringBuilder() : null;
			}
			else if (fence != null && line.trim().equals(fence)) {
				if (block != null) {
					blocks.add(new CodeBlock(start, before, block.toString()));
				}
				fence = null;
			}
			else if (fence != null && block != null) {
				block.append(line).append('\n');
			}
			else if (fence == null && !line.isBlank()) {
				before = line.trim();
			}
		}
		return blocks;
	}

	static String read(Path file) {
		try {
			return Files.readString(file);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A fenced code block.
	 * @param line the line number of its opening fence
	 * @param before the last non-blank line before it, trimmed
	 * @param text its lines, without the fences
	 */
	record CodeBlock(int line, String before, String text) {
	}

	private static List<String> linkTargets(String line) {
		String prose = CODE_SPAN.matcher(line).replaceAll("");
		List<String> targets = new ArrayList<>();
		for (Pattern pattern : List.of(INLINE_LINK, REFERENCE_DEFINITION, HTML_LINK)) {
			Matcher matcher = pattern.matcher(prose);
			while (matcher.find()) {
				targets.add(matcher.group(1));
			}
		}
		return targets;
	}

	private static String problem(Path root, Path file, String target) {
		if (SCHEME.matcher(target).find()) {
			return null;
		}
		int hash = target.indexOf('#');
		String path = URLDecoder.decode(hash < 0 ? target : target.substring(0, hash), StandardCharsets.UTF_8);
		String anchor = hash < 0 ? null : target.substring(hash + 1);
		int query = path.indexOf('?');
		if (query >= 0) {
			path = path.substring(0, query);
		}
		Path resolved = path.isEmpty() ? file
				: path.startsWith("/") ? root.resolve(path.substring(1)).normalize()
				: file.getParent().resolve(path).normalize();
		if (!Files.exists(resolved)) {
			return "no file " + root.relativize(resolved);
		}
		if (anchor == null || !resolved.toString().endsWith(".md")) {
			return null;
		}
		if (anchor.isEmpty()) {
			return "empty anchor";
		}
		return anchors(read(resolved)).contains(anchor) ? null : "no heading #" + anchor + " in " + root.relativize(resolved);
	}

	/** The lines outside fenced code blocks (a fence line itself included, as an empty line). */
	private static List<String> proseLines(String markdown) {
		List<String> lines = new ArrayList<>();
		String fence = null;
		for (String line : markdown.split("\n", -1)) {
			Matcher matcher = FENCE.matcher(line);
			if (fence == null && matcher.matches()) {
				fence = matcher.group(1);
				lines.add("");
			}
			else if (fence != null) {
				if (line.trim().equals(fence)) {
					fence = null;
				}
				lines.add("");
			}
			else {
				lines.add(line);
			}
		}
		return lines;
	}

}
