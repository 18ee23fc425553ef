package dev.locksmith.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The original service's shell idioms, run by bash with the real {@code curl} and {@code jq} against the
 * running server: {@code jq -r '.id'} gives the id or {@code null}, the list totals, {@code createdAt} goes
 * through jq's {@code fromdate}, and unlock by id. Skipped where curl or jq is not installed (the HTTP
 * tests in {@link RestApiTests} cover the same flow in Java).
 */
class CurlScriptTests extends LockServerTestSupport {

	private static final String SCRIPT = """
			set -euo pipefail
			URL="$1"
			take() {
			  curl -s -X POST "$URL/api/v1alpha1/lock" -H "Content-Type: application/json" \\
			    -d "{\\"service\\": \\"$1\\", \\"who\\": \\"$2\\"}" | jq -r '.id'
			}
			FIRST=$(take nightly-report "cron-$(hostname)")
			SECOND=$(take nightly-report other-host)
			echo "first=$FIRST"
			echo "second=$SECOND"
			echo "total=$(curl -s "$URL/api/v1alpha1/locks/list?per_page=100" | jq -r '.total')"
			echo "age=$(curl -s "$URL/api/v1alpha1/locks/list" | jq '[.locks[] | now - (.createdAt | fromdate)] | length')"
			echo "get=$(curl -s "$URL/api/v1alpha1/lock/${FIRST}" | jq -r '.service')"
			echo "unlock=$(curl -s "$URL/api/v1alpha1/unlock/${FIRST}" | jq -r '.success')"
			echo "after=$(curl -s "$URL/api/v1alpha1/lock/${FIRST}" | jq -r '.id')"
			echo "unlock-null=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1alpha1/unlock/${SECOND}")"
			""";

	@BeforeAll
	static void needsCurlAndJq() {
		assumeTrue(onPath("curl") && onPath("jq") && onPath("bash"), "curl, jq and bash are needed");
	}

	@Test
	void documentIdiomsWorkWithCurlAndJq() throws Exception {
		Path script = Files.createTempFile("lock-service", ".sh");
		try {
			Files.writeString(script, SCRIPT);
			Process process = new ProcessBuilder("bash", script.toString(), "http://localhost:" + this.port)
				.redirectErrorStream(true)
				.start();
			assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(process.exitValue()).as(output).isZero();
			List<String> lines = output.lines().toList();
			assertThat(lines.get(0)).matches("first=[A-Za-z0-9_-]+\\.[A-Za-z0-9-]+");
			assertThat(lines.subList(1, lines.size())).containsExactly("second=null", "total=1", "age=1",
					"get=nightly-report", "unlock=true", "after=null", "unlock-null=404");
			assertThat(heldCount()).isZero();
		}
		finally {
			Files.deleteIfExists(script);
		}
	}

	private static boolean onPath(String command) {
		try {
			return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
		}
		catch (IOException ex) {
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

}
