package dev.locksmith.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseInfo;
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

/**
 * The CLI against a real lock service on a random port, over real HTTP: the seed's shell idioms
 * ({@code lock … --timeout 0}, {@code trap "unlock …"}, {@code lock … --timeout 30s}) behave as scripts expect.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "locksmith.server.enabled=true", "locksmith.server.grpc.enabled=false" })
class LocksmithCliTests {

	@LocalServerPort
	int port;

	@Autowired
	MutexService locks;

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	private final ByteArrayOutputStream err = new ByteArrayOutputStream();

	private int cli(String... args) {
		this.out.reset();
		this.err.reset();
		LocksmithCli cli = new LocksmithCli(new PrintStream(this.out, true, StandardCharsets.UTF_8),
				new PrintStream(this.err, true, StandardCharsets.UTF_8),
				Map.of("LOCKSMITH_SERVER", "http://localhost:" + this.port));
		return cli.run(args);
	}

	private String out() {
		return this.out.toString(StandardCharsets.UTF_8);
	}

	private String err() {
		return this.err.toString(StandardCharsets.UTF_8);
	}

	@Test
	void lockTryLockAndUnlockLikeTheDocumentsScripts() {
		assertThat(cli("mutex", "lock", "db-migration", "--holder", "pod-a", "--timeout", "30s", "--ttl", "10m"))
			.isZero();
		assertThat(out()).contains("mutex/db-migration locked by pod-a").contains("fencing token");
		assertThat(this.locks.inspect("service:db-migration").isLocked()).isTrue();

		assertThat(cli("mutex", "lock", "db-migration", "--holder", "pod-b", "--timeout", "0")).isEqualTo(1);
		assertThat(err()).contains("locked by pod-a");
		assertThat(cli("mutex", "lock", "db-migration", "--holder", "pod-a", "--timeout", "0"))
			.as("the holder locking again succeeds").isZero();

		assertThat(cli("mutex", "unlock", "db-migration", "--holder", "pod-b")).isEqualTo(1);
		assertThat(err()).contains("locked by pod-a, not pod-b");
		assertThat(cli("mutex", "get", "db-migration")).isZero();
		assertThat(out()).contains("phase: Locked").contains("holder: pod-a").contains("expiresAt: ");

		assertThat(cli("mutex", "unlock", "db-migration", "--holder", "pod-a")).isZero();
		assertThat(cli("mutex", "get", "db-migration")).isZero();
		assertThat(out()).contains("phase: Unlocked");
		assertThat(cli("mutex", "unlock", "db-migration", "--holder", "pod-a")).isEqualTo(1);
		assertThat(err()).contains("is not locked");
	}

	@Test
	void relockBySameHolderKeepsTheLeaseAndExtendsItsExpiry() {
		assertThat(cli("mutex", "lock", "nightly-report", "--holder", "cron-host", "--ttl", "10s")).isZero();
		LeaseInfo before = this.locks.inspect("service:nightly-report").leases().get(0);

		assertThat(cli("mutex", "lock", "nightly-report", "--holder", "cron-host", "--ttl", "1h", "--timeout", "0"))
			.isZero();
		assertThat(out()).contains("already locked by cron-host").contains("expires");
		List<LeaseInfo> after = this.locks.inspect("service:nightly-report").leases();
		assertThat(after).hasSize(1);
		assertThat(after.get(0).leaseId()).as("no new lease").isEqualTo(before.leaseId());
		assertThat(after.get(0).fencingToken()).isEqualTo(before.fencingToken());
		assertThat(after.get(0).expiresAt()).as("the TTL was refreshed to the requested 1h")
			.isAfter(before.expiresAt().plus(Duration.ofMinutes(55)));

		assertThat(cli("mutex", "unlock", "nightly-report", "--holder", "cron-host")).isZero();
	}

	@Test
	void aBareNumberTtlMeansSecondsAndIsAcceptedByTheService() {
		assertThat(cli("mutex", "lock", "bare-ttl", "--holder", "cron", "--ttl", "30", "--timeout", "0"))
			.as(err()).isZero();
		LeaseInfo lease = this.locks.inspect("service:bare-ttl").leases().get(0);
		assertThat(lease.expiresAt()).isBetween(java.time.Instant.now().plusSeconds(20),
				java.time.Instant.now().plusSeconds(31));
		assertThat(cli("mutex", "unlock", "bare-ttl", "--holder", "cron")).isZero();
	}

	@Test
	void namesAreNormalisedAndInvisibleCharactersRejected() {
		assertThat(cli("mutex", "lock", "deploy\u200b", "--holder", "pod-a", "--timeout", "0")).isEqualTo(2);
		assertThat(err()).contains("mutex name").contains("U+200B");
		assertThat(cli("mutex", "lock", "deploy", "--holder", "pod\u2060a", "--timeout", "0")).isEqualTo(2);
		assertThat(err()).contains("--holder").contains("U+2060");
		assertThat(cli("mutex", "lock", "deploy\u2800", "--holder", "pod-a", "--timeout", "0")).isEqualTo(2);
		assertThat(err()).contains("mutex name").contains("U+2800");
		assertThat(this.locks.inspect("service:deploy").isLocked()).isFalse();

		assertThat(cli("mutex", "lock", "deploy ", "--holder", "pod-a ", "--timeout", "0")).isZero();
		assertThat(cli("mutex", "get", "deploy")).isZero();
		assertThat(out()).contains("phase: Locked").contains("holder: pod-a\n");
		assertThat(cli("mutex", "lock", "deploy", "--holder", "pod-b", "--timeout", "0")).isEqualTo(1);
		assertThat(cli("mutex", "unlock", " deploy", "--holder", "pod-a")).isZero();
		assertThat(this.locks.inspect("service:deploy").isLocked()).isFalse();
	}

	@Test
	void aWaitingLockIsGrantedWhenTheHolderUnlocks() throws Exception {
		assertThat(cli("mutex", "lock", "shared-resource", "--holder", "first")).isZero();
		CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> new LocksmithCli(
				new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
				Map.of("LOCKSMITH_SERVER", "http://localhost:" + this.port))
			.run("mutex", "lock", "shared-resource", "--holder", "second", "--timeout", "20s"));
		assertThat(cli("mutex", "unlock", "shared-resource", "--holder", "first")).isZero();
		assertThat(second.get(30, TimeUnit.SECONDS)).isZero();
		assertThat(cli("mutex", "get", "shared-resource")).isZero();
		assertThat(out()).contains("holder: second");
		assertThat(cli("mutex", "unlock", "shared-resource", "--holder", "second")).isZero();
	}

	@Test
	void listShowsLockedMutexes() {
		assertThat(cli("mutex", "lock", "file-writer", "--holder", "pod-x", "--timeout", "0")).isZero();
		assertThat(cli("mutex", "list")).isZero();
		assertThat(out()).contains("NAME").contains("file-writer").contains("Locked").contains("pod-x");
		assertThat(cli("mutex", "unlock", "file-writer", "--holder", "pod-x")).isZero();
		assertThat(cli("mutex", "list")).isZero();
		assertThat(out()).doesNotContain("file-writer");
	}

	@Test
	void badUsageExitsWithTwoAndSaysWhy() {
		assertThat(cli()).isEqualTo(2);
		assertThat(err()).contains("missing a resource").contains("usage:");
		assertThat(cli("mutex", "lock", "x")).isEqualTo(2);
		assertThat(err()).contains("Missing required option").contains("--holder");
		assertThat(cli("mutex", "lock", "x", "--holder", "h", "--timeout", "soon")).isEqualTo(2);
		assertThat(err()).contains("--timeout: 'soon' is not a duration");
		assertThat(cli("mutex", "lock", "x", "--holder", "h", "--colour", "red")).isEqualTo(2);
		assertThat(err()).contains("Unknown option").contains("--colour");
		assertThat(cli("mutex", "explode")).isEqualTo(2);
		assertThat(cli("queue", "list")).isEqualTo(2);
		assertThat(this.locks.inspect("service:x").isLocked()).as("a rejected command locks nothing").isFalse();
	}

	@Test
	void anUnreachableServiceExitsWithThree() {
		LocksmithCli cli = new LocksmithCli(new PrintStream(this.out), new PrintStream(this.err),
				Map.of("LOCKSMITH_SERVER", "http://localhost:1"));
		assertThat(cli.run("mutex", "list")).isEqualTo(3);
		assertThat(err()).contains("cannot reach the lock service");
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class CliTestApplication {

		@Bean
		MutexService mutexService() {
			return Locksmith.builder(new MemoryLockProvider()).build();
		}

	}

}
