package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.locksmith.LeaseType;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Bad input on both Redis providers: over-long keys, too much metadata and sub-millisecond TTLs are
 * rejected at once as {@link IllegalArgumentException} naming the limit, before anything reaches Redis,
 * and messages carry only a short escaped prefix of the key.
 */
class RedisBadInputTests extends AbstractBothRedisProvidersTests {

	@Test
	void aKeyOverTheLimitIsRejectedAtOnceWithAShortEscapedPrefix() {
		String huge = "line1\r\nforged log line " + "x".repeat(1_000_000);
		for (LockProvider provider : List.of(single, redlock)) {
			long calls = evalshaCalls();
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(write(huge, Duration.ofSeconds(5))))
				.withMessageContaining("1024 bytes")
				.satisfies((ex) -> {
					assertThat(ex.getMessage()).hasSizeLessThan(300).doesNotContain("\n").doesNotContain("\r")
						.contains("line1\\r\\nforged");
				});
			assertThatIllegalArgumentException().isThrownBy(() -> provider.inspect(huge))
				.withMessageContaining("1024 bytes");
			assertThatIllegalArgumentException().isThrownBy(() -> provider.forceRelease(huge))
				.withMessageContaining("1024 bytes");
			assertThat(evalshaCalls()).as("nothing reached Redis").isEqualTo(calls);
		}
	}

	@Test
	void throughTheLockApiAHugeKeyIsBadInputAtOnceNotAnOutage() {
		String huge = "k".repeat(10_000);
		for (LockProvider provider : List.of(single, redlock)) {
			// An engine over the provider (not closed here: closing it would close the shared provider).
			LockEngine locks = Locksmith.builder(provider)
				.defaults(LockOptions.defaults().withWaitTime(Duration.ofSeconds(5)))
				.build();
			long calls = evalshaCalls();
			assertThatIllegalArgumentException()
				.isThrownBy(() -> locks.acquire(huge, LockOptions.defaults().withWaitTime(Duration.ofSeconds(5))))
				.withMessageContaining("1024 bytes");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> locks.tryAcquire("lock:" + UUID.randomUUID(),
						LockOptions.defaults().withMetadata(Map.of("who", "€".repeat(2000)))))
				.withMessageContaining("4096 bytes");
			assertThat(evalshaCalls()).as("no attempt reached Redis, none was retried").isEqualTo(calls);
		}
	}

	@Test
	void aKeyAtTheLimitIsAccepted() {
		String key = "k".repeat(RedisLimits.MAX_KEY_BYTES - 3) + "€";
		assertThat(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(RedisLimits.MAX_KEY_BYTES);
		LeaseRequest request = write(key, Duration.ofSeconds(5));
		assertThat(single.acquire(request).isGranted()).isTrue();
		assertThat(single.release(request.ref())).isTrue();
		assertThatIllegalArgumentException().isThrownBy(() -> single.acquire(write(key + "k", Duration.ofSeconds(5))));
	}

	@Test
	void metadataOverTheLimitIsRejectedAtOnce() {
		Map<String, String> metadata = Map.of("service", "€".repeat(700), "who", "€".repeat(700));
		LeaseRequest request = new LeaseRequest("lock:" + UUID.randomUUID(), LeaseType.WRITE,
				UUID.randomUUID().toString(), "owner", Duration.ofSeconds(5), 1, 1, metadata);
		for (LockProvider provider : List.of(single, redlock)) {
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(request))
				.withMessageContaining("metadata must not exceed 4096 bytes");
		}
		assertThat(single.inspect(request.key()).isLocked()).isFalse();
	}

	@Test
	void aTtlBelowOneMillisecondIsRejected() {
		for (LockProvider provider : List.of(single, redlock)) {
			LeaseRequest request = write("lock:" + UUID.randomUUID(), Duration.ofNanos(999_999));
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(request))
				.withMessageContaining("at least 1 ms");
			assertThat(provider.inspect(request.key()).isLocked()).isFalse();
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.extend(request.ref(), Duration.ofNanos(500)))
				.withMessageContaining("at least 1 ms");
		}
	}

	@Test
	void aTtlOverOneYearIsRejectedBeforeItCanOverflow() {
		for (LockProvider provider : List.of(single, redlock)) {
			for (Duration ttl : List.of(Duration.ofDays(366), Duration.ofSeconds(Long.MAX_VALUE))) {
				LeaseRequest request = write("lock:" + UUID.randomUUID(), ttl);
				assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(request))
					.withMessageContaining("at most 365 days");
				assertThatIllegalArgumentException().isThrownBy(() -> provider.extend(request.ref(), ttl))
					.withMessageContaining("at most 365 days");
			}
		}
	}

	private static LeaseRequest write(String key, Duration ttl) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "owner", ttl, 1, 1, Map.of());
	}

	private static long evalshaCalls() {
		try (RedisConnection connection = factory.getConnection()) {
			String line = connection.serverCommands().info("commandstats").getProperty("cmdstat_evalsha", "calls=0,");
			return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
		}
	}

}
