package dev.locksmith.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every relative link in README.md, CHANGELOG.md and docs/ leads to a file that exists and, for a link
 * into a Markdown file with a {@code #anchor}, to a heading that exists (GitHub's anchor rules).
 */
class DocsLinkTests {

	@Test
	void everyRelativeLinkInTheDocumentationResolves() {
		Path root = MarkdownDocs.repositoryRoot();
		List<Path> files = MarkdownDocs.files(root);
		assertThat(files).contains(root.resolve("README.md"), root.resolve("docs/core-api.md"));
		assertThat(MarkdownDocs.brokenLinks(root, files)).isEmpty();
	}

	@Test
	void anchorsFollowGitHubRules() {
		assertThat(MarkdownDocs.anchorOf("Lock service (REST and gRPC)")).isEqualTo("lock-service-rest-and-grpc");
		assertThat(MarkdownDocs.anchorOf("Coming from Spring Integration / ShedLock"))
			.isEqualTo("coming-from-spring-integration--shedlock");
		assertThat(MarkdownDocs.anchorOf("The `lock_page` [link](x.md) step: 2.5"))
			.isEqualTo("the-lock_page-link-step-25");
		assertThat(MarkdownDocs.anchors("# A\n## A\n```\n# not a heading\n```\n<a id=\"here\"></a>\n"))
			.containsExactly("a", "a-1", "here");
	}

	@Test
	void aMissingFileOrAnchorIsReportedAndCodeIsNotALink(@TempDir Path root) throws IOException {
		Files.createDirectories(root.resolve("docs"));
		Files.writeString(root.resolve("docs/page.md"), "# Page\n\n## Real heading\n");
		Files.writeString(root.resolve("README.md"), """
				# Front
				[ok](docs/page.md), [ok](docs/page.md#real-heading), [ok](#front), [web](https://example.org/x.md)
				[gone](docs/gone.md) and [wrong anchor](docs/page.md#no-such-heading) and [self](#nowhere)
				`[in code](docs/gone.md)`
				```
				[in a block](docs/gone.md)
				```
				""");
		Files.writeString(root.resolve("docs/other.md"), "[up](../README.md#front) [image](pic.png)\n");

		assertThat(MarkdownDocs.brokenLinks(root, MarkdownDocs.files(root))).containsExactly(
				"README.md:3: docs/gone.md (no file docs/gone.md)",
				"README.md:3: docs/page.md#no-such-heading (no heading #no-such-heading in docs/page.md)",
				"README.md:3: #nowhere (no heading #nowhere in README.md)",
				"docs/other.md:1: pic.png (no file docs/pic.png)");
	}

}
