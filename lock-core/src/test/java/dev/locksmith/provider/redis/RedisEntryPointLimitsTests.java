package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.Renewal;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The Redis input limits hold on every entry point, not only acquire: renew, release, extend and list
 * reject an over-long key, lease id or prefix at once, and acquire rejects permit counts a script
 * cannot store (which would otherwise poison the key for every later caller).
 */
class RedisEntryPointLimitsTests extends AbstractBothRedisProvidersTests {

	@Test
	void renewRejectsAKeyOverTheLimit() {
		String huge = "k\n".repeat(600_000);
		for (LockProvider provider : List.of(single, redlock)) {
			long calls = evalshaCalls();
			LeaseRef lease = new LeaseRef(huge, LeaseType.WRITE, UUID.randomUUID().toString());
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.renew(List.of(new Renewal(lease, Duration.ofSeconds(5)))))
				.withMessageContaining("1024 bytes")
				.satisfies((ex) -> assertThat(ex.getMessage()).hasSizeLessThan(300).doesNotContain("\n"));
			assertThatIllegalArgumentException().isThrownBy(() -> provider.list(huge, 0, 10))
				.withMessageContaining("1024 bytes")
				.satisfies((ex) -> assertThat(ex.getMessage()).hasSizeLessThan(300).doesNotContain("\n"));
			assertThat(evalshaCalls()).as(provider.name() + ": nothing reached Redis").isEqualTo(calls);
		}
	}

	@Test
	void releaseExtendAndRenewRejectALeaseIdOverTheLimit() {
		String hugeId = "i".repeat(1_000_000);
		for (LockProvider provider : List.of(single, redlock)) {
			long calls = evalshaCalls();
			LeaseRef lease = new LeaseRef("lock:" + UUID.randomUUID(), LeaseType.WRITE, hugeId);
			assertThatIllegalArgumentException().isThrownBy(() -> provider.release(lease))
				.withMessageContaining("256 bytes");
			assertThatIllegalArgumentException().isThrownBy(() -> provider.extend(lease, Duration.ofSeconds(5)))
				.withMessageContaining("256 bytes");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.renew(List.of(new Renewal(lease, Duration.ofSeconds(5)))))
				.withMessageContaining("256 bytes");
			assertThat(evalshaCalls()).as(provider.name() + ": nothing reached Redis").isEqualTo(calls);
		}
	}

	@Test
	void permitCountsOutOfRangeAreRejectedAndDoNotPoisonTheKey() {
		for (LockProvider provider : List.of(single, redlock)) {
			String key = "sem:" + UUID.randomUUID();
			for (int[] permitsAndLimit : new int[][] { { -1, 3 }, { 0, 3 }, { 4, 3 }, { 1, 0 } }) {
				LeaseRequest bad = new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "owner",
						Duration.ofSeconds(30), permitsAndLimit[0], permitsAndLimit[1], Map.of());
				assertThatIllegalArgumentException().as(provider.name() + " " + permitsAndLimit[0] + "/" + permitsAndLimit[1])
					.isThrownBy(() -> provider.acquire(bad))
					.withMessageContaining("permits");
			}
			LeaseRequest good = new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "owner",
					Duration.ofSeconds(30), 1, 3, Map.of());
			assertThat(provider.acquire(good).isGranted()).isTrue();
			assertThat(provider.release(good.ref())).isTrue();
		}
	}

	private static long evalshaCalls() {
		try (RedisConnection connection = factory.getConnection()) {
			String line = connection.serverCommands().info("commandstats").getProperty("cmdstat_evalsha", "calls=0,");
			return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
		}
	}

}
