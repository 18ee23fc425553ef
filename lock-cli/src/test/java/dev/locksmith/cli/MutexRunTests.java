package dev.locksmith.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.locksmith.LockInfo;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.provider.memory.MemoryLockProvider;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code mutex run} with real child processes ({@code sh -c}) against a real lock service: the mutex is
 * held exactly while the command runs, exit codes pass through, a lost lease stops the command, SIGTERM
 * reaches it, and a CLI killed with SIGKILL leaves the lock to expire within its TTL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "locksmith.server.enabled=true", "locksmith.server.grpc.enabled=false" })
class MutexRunTests {

	@LocalServerPort
	int port;

	@Autowired
	MutexService locks;

	@TempDir
	Path dir;

	private final ByteArrayOutputStream err = new ByteArrayOutputStream();

	private String server() {
		return "http://localhost:" + this.port;
	}

	private CompletableFuture<Integer> run(String... args) {
		List<String> all = new ArrayList<>(List.of("mutex", "run"));
		all.addAll(List.of(args));
		LocksmithCli cli = new LocksmithCli(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
				new PrintStream(this.err, true, StandardCharsets.UTF_8), Map.of("LOCKSMITH_SERVER", server()));
		return CompletableFuture.supplyAsync(() -> cli.run(all.toArray(String[]::new)));
	}

	/** A shell script that marks it started, waits for the test's "go" file, then exits with a code. */
	private String waitForGo(int exitCode) {
		return "touch '" + this.dir.resolve("started") + "'; while [ ! -f '" + this.dir.resolve("go")
				+ "' ]; do sleep 0.05; done; exit " + exitCode;
	}

	private LockInfo lock(String name) {
		return this.locks.inspect("service:" + name);
	}

	@Test
	void theMutexIsHeldExactlyWhileTheCommandRunsAndItsExitCodePassesThrough() throws Exception {
		assertThat(lock("job").isLocked()).isFalse();
		CompletableFuture<Integer> run = run("job", "--holder", "runner", "--ttl", "1h", "--", "sh", "-c",
				waitForGo(7));
		await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(this.dir.resolve("started")));
		assertThat(lock("job").isLocked()).isTrue();
		assertThat(new LockServiceClient(server(), null).find("job").orElseThrow().path("who").asString())
			.isEqualTo("runner");
		assertThat(run).isNotDone();
		Files.createFile(this.dir.resolve("go"));
		assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(7);
		assertThat(lock("job").isLocked()).as("released when the command exited").isFalse();

		assertThat(run("job", "--holder", "runner", "--", "sh", "-c", "exit 0").get(30, TimeUnit.SECONDS)).isZero();
		assertThat(run("job", "--holder", "runner", "--", "false").get(30, TimeUnit.SECONDS)).isEqualTo(1);
		assertThat(lock("job").isLocked()).isFalse();
	}

	@Test
	void aHeldMutexIsWaitedForAndTheCommandDoesNotRunWithoutIt() throws Exception {
		MutexLockCommand.Acquired other = MutexLockCommand.acquire(new LockServiceClient(server(), null), "shared",
				"other", "0", "1h", new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
		assertThat(other).isNotNull();
		Path ran = this.dir.resolve("ran");
		assertThat(run("shared", "--holder", "runner", "--timeout", "0", "--", "touch", ran.toString())
			.get(30, TimeUnit.SECONDS)).isEqualTo(1);
		assertThat(ran).doesNotExist();

		CompletableFuture<Integer> waiting = run("shared", "--holder", "runner", "--timeout", "30s", "--", "touch",
				ran.toString());
		await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(ran));
		assertThat(new LockServiceClient(server(), null).release(other.id()).status()).isEqualTo(200);
		assertThat(waiting.get(30, TimeUnit.SECONDS)).isZero();
		assertThat(ran).exists();
		assertThat(lock("shared").isLocked()).isFalse();
	}

	@Test
	void aLostLeaseTerminatesTheCommandWithExitCode75() throws Exception {
		CompletableFuture<Integer> run = run("lost", "--holder", "runner", "--ttl", "3s", "--", "sh", "-c",
				"touch '" + this.dir.resolve("started") + "'; exec sleep 120");
		await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(this.dir.resolve("started")));
		forceRelease("lost");
		assertThat(run.get(30, TimeUnit.SECONDS)).as("the command was stopped long before its 120 s")
			.isEqualTo(MutexRunCommand.LEASE_LOST);
		assertThat(this.err.toString(StandardCharsets.UTF_8)).contains("lost the lease on mutex/lost; stopping");
	}

	@Test
	void withOnLostWarnTheCommandRunsOnAndTheExitCodeIsStill75() throws Exception {
		CompletableFuture<Integer> run = run("warned", "--holder", "runner", "--ttl", "3s", "--on-lost", "warn",
				"--", "sh", "-c", waitForGo(0));
		await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(this.dir.resolve("started")));
		forceRelease("warned");
		await().atMost(Duration.ofSeconds(30))
			.until(() -> this.err.toString(StandardCharsets.UTF_8).contains("the command runs on"));
		assertThat(run).isNotDone();
		Files.createFile(this.dir.resolve("go"));
		assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(MutexRunCommand.LEASE_LOST);
	}

	@Test
	void sigtermToTheCliReachesTheCommandAndReleasesTheMutex() throws Exception {
		Path term = this.dir.resolve("term");
		Process cli = cliProcess("signalled", "1h", "trap \"touch '" + term + "'; exit 143\" TERM; touch '"
				+ this.dir.resolve("started") + "'; while true; do sleep 0.1; done");
		await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(this.dir.resolve("started")));
		assertThat(lock("signalled").isLocked()).isTrue();
		cli.destroy(); // SIGTERM
		assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(term).as("the command got SIGTERM").exists();
		assertThat(lock("signalled").isLocked()).as("released, not left to its 1 h TTL").isFalse();
	}

	@Test
	void aKilledCliLeavesTheMutexToExpireWithinItsTtl() throws Exception {
		Path pid = this.dir.resolve("pid");
		Process cli = cliProcess("killed", "2s", "echo $$ > '" + pid + "'; exec sleep 120");
		await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(pid) && Files.size(pid) > 0);
		long child = Long.parseLong(Files.readString(pid).trim());
		try {
			assertThat(lock("killed").isLocked()).isTrue();
			cli.destroyForcibly(); // SIGKILL: no shutdown hook, no release
			assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
			Instant killed = Instant.now();
			List<dev.locksmith.LeaseInfo> leases = lock("killed").leases();
			if (!leases.isEmpty()) {
				assertThat(leases.get(0).expiresAt()).isBeforeOrEqualTo(killed.plusSeconds(2));
			}
			await().atMost(Duration.ofSeconds(30)).until(() -> !lock("killed").isLocked());
		}
		finally {
			ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
		}
	}

	private void forceRelease(String name) {
		LockServiceClient client = new LockServiceClient(server(), null);
		String id = client.find(name).orElseThrow().path("id").asString();
		assertThat(client.release(id).status()).isEqualTo(200);
	}

	/** The CLI in its own JVM, running {@code sh -c script} under {@code mutex run}. */
	private Process cliProcess(String name, String ttl, String script) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LocksmithCli.class.getName(),
				"--server", server(), "mutex", "run", name, "--holder", "process", "--ttl", ttl, "--", "sh", "-c",
				script)
			.redirectOutput(this.dir.resolve("cli.out").toFile())
			.redirectError(this.dir.resolve("cli.err").toFile())
			.start();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Config {

		@Bean
		MutexService mutexService() {
			return Locksmith.builder(new MemoryLockProvider()).build();
		}

	}

}
