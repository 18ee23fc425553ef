package dev.locksmith.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java snippets of README.md, CHANGELOG.md and docs/ are compiled test code, and the README's copied
 * excerpts are still text of their source page (see {@link DocsSnippets} for the rules).
 */
class DocsSnippetTests {

	@Test
	void everyJavaSnippetIsCompiledTestCodeOrSaysWhyNot() {
		Path root = MarkdownDocs.repositoryRoot();
		assertThat(DocsSnippets.regions(root)).extracting(DocsSnippets.Region::name)
			.contains("core example", "redis", "jdbc", "leader election", "quick start annotation", "account service");
		assertThat(DocsSnippets.snippetProblems(root, MarkdownDocs.files(root))).isEmpty();
	}

	@Test
	void everyCopiedExcerptIsStillTextOfItsSource() {
		Path root = MarkdownDocs.repositoryRoot();
		assertThat(MarkdownDocs.read(root.resolve("README.md"))).contains("<!-- copy of docs/faults.md (begin) -->");
		assertThat(DocsSnippets.copyProblems(root, MarkdownDocs.files(root))).isEmpty();
	}

	@Test
	void aChangedSnippetAMissingImportAStaleRegionAndAStaleCopyAreReported(@TempDir Path root) throws IOException {
		Path tests = Files.createDirectories(root.resolve("m/src/test/java/x"));
		String begin = "// --- docs: ";
		Files.writeString(tests.resolve("SnippetTests.java"), String.join("\n",
				"import a.B;",
				"class SnippetTests {",
				"\tvoid run() {",
				"\t\t" + begin + "run (begin) ---",
				"\t\tB.call(1);",
				"\t\tif (true) {",
				"\t\t    B.call(2);",
				"\t\t}",
				"\t\t" + begin + "run (end) ---",
				"\t\t" + begin + "unused (begin) ---",
				"\t\tB.call(3);",
				"\t\t" + begin + "unused (end) ---",
				"\t}",
				"}", ""));
		Files.createDirectories(root.resolve("docs"));
		Files.writeString(root.resolve("docs/page.md"), String.join("\n",
				"# Page", "", "Exact:", "```java", "import a.B;", "", "B.call(1);", "if (true) {", "    B.call(2);", "}", "```",
				"Changed:", "```java", "B.call(1);", "if (true) {", "    B.call(20);", "}", "```",
				"Import:", "```java", "import a.C;", "B.call(1);", "if (true) {", "    B.call(2);", "}", "```",
				DocsSnippets.NOT_COMPILED + " body elided -->", "```java", "void m() { ... }", "```", "",
				"Original text here.", ""));
		Files.writeString(root.resolve("README.md"), String.join("\n",
				"<!-- copy of docs/page.md (begin) -->", "Original text here.", "<!-- copy of docs/page.md (end) -->",
				"<!-- copy of docs/page.md (begin) -->", "Edited text here.", "<!-- copy of docs/page.md (end) -->", ""));
		List<Path> files = MarkdownDocs.files(root);

		assertThat(DocsSnippets.snippetProblems(root, files)).hasSize(3)
			.anySatisfy(p -> assertThat(p).startsWith("docs/page.md:13: a java block that is no marked region"))
			.anySatisfy(p -> assertThat(p).startsWith("docs/page.md:20: a java block that is no marked region"))
			.anySatisfy(p -> assertThat(p).isEqualTo("m/src/test/java/x/SnippetTests.java: region 'unused' appears in no java block of the documentation"));
		assertThat(DocsSnippets.copyProblems(root, files))
			.containsExactly("README.md: the copy of docs/page.md is not (or no longer) text of that file");
	}

}
