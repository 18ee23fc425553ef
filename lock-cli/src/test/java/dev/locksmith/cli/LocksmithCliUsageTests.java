package dev.locksmith.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line itself, without a lock service: {@code --help} on every command, {@code --version},
 * usage errors (exit 2) and shell completion.
 */
class LocksmithCliUsageTests {

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	private final ByteArrayOutputStream err = new ByteArrayOutputStream();

	private int cli(String... args) {
		return new LocksmithCli(new PrintStream(this.out, true, StandardCharsets.UTF_8),
				new PrintStream(this.err, true, StandardCharsets.UTF_8), Map.of("LOCKSMITH_SERVER", "http://localhost:1"))
			.run(args);
	}

	private String out() {
		return this.out.toString(StandardCharsets.UTF_8);
	}

	private String err() {
		return this.err.toString(StandardCharsets.UTF_8);
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "mutex", "mutex lock", "mutex unlock", "mutex get", "mutex list", "mutex run",
			"generate-completion" })
	void everyCommandHasHelp(String command) {
		String[] args = (command + " --help").trim().split(" ");
		assertThat(cli(args)).isZero();
		assertThat(out()).startsWith("usage: locksmith " + command).contains("-h, --help");
		assertThat(err()).isEmpty();
	}

	@Test
	void helpListsCommandsOptionsAndExitCodes() {
		assertThat(cli("mutex", "run", "--help")).isZero();
		assertThat(out()).contains("--holder=HOLDER").contains("--ttl=DURATION").contains("--timeout=DURATION")
			.contains("--on-lost=ACTION").contains("terminate, warn").contains("--server=URL").contains("--token=TOKEN")
			.contains("75 (mutex run) the lease was lost");
		this.out.reset();
		assertThat(cli("mutex", "--help")).isZero();
		assertThat(out()).contains("lock").contains("unlock").contains("get").contains("list").contains("run");
	}

	@Test
	void versionNamesTheBuild() {
		assertThat(cli("--version")).isZero();
		assertThat(out()).startsWith("locksmith 0.").doesNotContain("${").contains("Java ");
		this.out.reset();
		assertThat(cli("mutex", "get", "--version")).isZero();
		assertThat(out()).startsWith("locksmith ");
	}

	@Test
	void usageErrorsExitWithTwoAndShowTheCommandsUsage() {
		assertThat(cli("mutex", "lock", "x", "--holder")).isEqualTo(2);
		assertThat(err()).contains("locksmith: Missing required parameter for option '--holder'")
			.contains("usage: locksmith mutex lock");
		this.err.reset();
		assertThat(cli("mutex")).isEqualTo(2);
		assertThat(err()).contains("missing a command").contains("usage: locksmith mutex");
		this.err.reset();
		assertThat(cli("mutex", "run", "x", "--holder", "h")).as("run needs a command").isEqualTo(2);
		assertThat(err()).contains("COMMAND");
		this.err.reset();
		assertThat(cli("mutex", "run", "x", "--holder", "h", "--on-lost", "ignore", "--", "true")).isEqualTo(2);
		assertThat(err()).contains("--on-lost");
		this.err.reset();
		assertThat(cli("mutex", "lock", "x", "--holder", "h", "--ttl", "-5s")).isEqualTo(2);
		assertThat(err()).contains("--ttl: '-5s' is not a duration");
		this.err.reset();
		assertThat(cli("mutex", "lock", "x", "--holder", "h", "--server", " ")).isEqualTo(2);
		assertThat(err()).contains("--server must not be blank");
	}

	@Test
	void generatesABashAndZshCompletionScript() {
		assertThat(cli("generate-completion")).isZero();
		assertThat(out()).contains("complete -F").contains("_complete_locksmith").contains("mutex")
			.contains("--holder").contains("--on-lost");
	}

}
