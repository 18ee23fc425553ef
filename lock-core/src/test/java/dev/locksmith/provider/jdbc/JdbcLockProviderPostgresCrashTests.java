package dev.locksmith.provider.jdbc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Table mode on PostgreSQL across a server crash (every server process killed with SIGKILL, then restarted on
 * the same data directory): the grants commit synchronously, so no fencing token is issued twice, while the
 * releases, which commit asynchronously, may be lost (the key then looks held until the lease's TTL). The
 * server runs with {@code synchronous_commit = on} and the WAL writer delayed by 10 s, so an asynchronous
 * commit just before the crash is lost.
 */
class JdbcLockProviderPostgresCrashTests {

	@TempDir
	Path dataDirectory;

	@Test
	void grantsSurviveACrashRightAfterThemAndTokensNeverRepeat() throws Exception {
		int port;
		String writeKey = AbstractJdbcLockProviderTests.key();
		String readKey = AbstractJdbcLockProviderTests.key();
		long writeToken;
		long readToken;
		try (EmbeddedPostgres server = start(0)) {
			port = server.getPort();
			try (HikariDataSource pool = pool(server)) {
				AbstractJdbcLockProviderTests.runSchema(pool, "postgresql");
				try (JdbcLockProvider provider = JdbcLockProvider.builder(pool).build()) {
					// a grant and an asynchronous release first, then the grants the crash must not lose: the
					// one-round-trip WRITE grant and a READ grant (plain read, then an explicit transaction)
					LeaseRequest first = AbstractJdbcLockProviderTests.request(writeKey, LeaseType.WRITE, Duration.ofMinutes(5));
					assertThat(provider.acquire(first).isGranted()).isTrue();
					assertThat(provider.release(first.ref())).isTrue();
					// denials commit with synchronous_commit off for their own transaction only: on the pool's one
					// connection the grants after them must still commit synchronously (one-round-trip denial under
					// the key lock, then one without it, then a reader's denial that raises the flag)
					String heldKey = AbstractJdbcLockProviderTests.key();
					assertThat(provider.acquire(AbstractJdbcLockProviderTests.request(heldKey, LeaseType.WRITE, Duration.ofMinutes(5))).isGranted()).isTrue();
					String otherHeld = AbstractJdbcLockProviderTests.key();
					assertThat(provider.acquire(AbstractJdbcLockProviderTests.request(otherHeld, LeaseType.WRITE, Duration.ofMinutes(5))).isGranted()).isTrue();
					assertThat(provider.acquire(AbstractJdbcLockProviderTests.request(heldKey, LeaseType.WRITE, Duration.ofMinutes(5))).isGranted()).isFalse();
					assertThat(provider.acquire(AbstractJdbcLockProviderTests.request(heldKey, LeaseType.WRITE, Duration.ofMinutes(5))).isGranted()).isFalse();
					assertThat(provider.acquire(AbstractJdbcLockProviderTests.request(otherHeld, LeaseType.READ, Duration.ofMinutes(5))).isGranted()).isFalse();
					Grant read = provider.acquire(AbstractJdbcLockProviderTests.request(readKey, LeaseType.READ, Duration.ofMinutes(5)));
					Grant write = provider.acquire(AbstractJdbcLockProviderTests.request(writeKey, LeaseType.WRITE, Duration.ofMinutes(5)));
					assertThat(read.isGranted()).isTrue();
					assertThat(write.isGranted()).isTrue();
					readToken = read.fencingToken();
					writeToken = write.fencingToken();
					killEveryServerProcess();
				}
			}
		}
		try (EmbeddedPostgres server = start(port); HikariDataSource pool = pool(server);
				JdbcLockProvider provider = JdbcLockProvider.builder(pool).build()) {
			LockInfo write = provider.inspect(writeKey);
			assertThat(write.isLocked()).as("the WRITE grant survived the crash").isTrue();
			assertThat(write.fencingToken()).isEqualTo(writeToken);
			// the asynchronous release before it is durable too: the grant's flush covered its commit record
			assertThat(write.leases()).hasSize(1);
			assertThat(provider.inspect(readKey).isLocked()).as("the READ grant survived the crash").isTrue();
			Grant nextRead = provider.acquire(AbstractJdbcLockProviderTests.request(readKey, LeaseType.READ, Duration.ofMinutes(5)));
			assertThat(nextRead.isGranted()).isTrue();
			assertThat(nextRead.fencingToken()).isGreaterThan(readToken);
		}
	}

	private EmbeddedPostgres start(int port) throws IOException {
		EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
			.setDataDirectory(this.dataDirectory)
			.setCleanDataDirectory(false)
			.setServerConfig("synchronous_commit", "on")
			.setServerConfig("fsync", "on")
			.setServerConfig("wal_writer_delay", "10000ms");
		if (port != 0) {
			builder.setPort(port);
		}
		return builder.start();
	}

	private static HikariDataSource pool(EmbeddedPostgres server) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(server.getJdbcUrl("postgres", "postgres"));
		config.setUsername("postgres");
		config.setMaximumPoolSize(1);
		config.setMinimumIdle(0);
		return new HikariDataSource(config);
	}

	/** SIGKILL to the postmaster and all its children: nothing left in the WAL buffers reaches the disk. */
	private void killEveryServerProcess() throws IOException {
		List<String> pidFile = Files.readAllLines(this.dataDirectory.resolve("postmaster.pid"));
		ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(pidFile.get(0).trim())).orElseThrow();
		List<ProcessHandle> children = postmaster.descendants().toList();
		postmaster.destroyForcibly();
		children.forEach(ProcessHandle::destroyForcibly);
		postmaster.onExit().join();
	}

}
