package dev.locksmith.provider.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.Renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Issue 13, items 6 and 7, shared by table mode and advisory mode: oversize keys and metadata and TTLs below
 * one millisecond are rejected with an {@link IllegalArgumentException} naming the limit before any SQL runs
 * (no connection is borrowed, so there is nothing to retry and no connection to break).
 */
final class BadInput {

	private BadInput() {
	}

	/**
	 * A data source that counts the connections borrowed from it.
	 */
	static final class CountingDataSource {

		final AtomicInteger connections = new AtomicInteger();

		final DataSource dataSource;

		CountingDataSource(DataSource target) {
			this.dataSource = (DataSource) Proxy.newProxyInstance(BadInput.class.getClassLoader(),
					new Class<?>[] { DataSource.class }, (proxy, method, args) -> {
						if (method.getName().equals("getConnection")) {
							this.connections.incrementAndGet();
						}
						try {
							return method.invoke(target, args);
						}
						catch (InvocationTargetException ex) {
							throw ex.getCause();
						}
					});
		}

	}

	static LeaseRequest request(String key, Duration ttl, Map<String, String> metadata) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "owner-1", ttl, 1, 1, metadata);
	}

	/**
	 * Checks every bad input on {@code provider}, built on {@code counting}, and that none of them borrowed a
	 * connection.
	 */
	static void assertRejectedBeforeAnySql(LockProvider provider, CountingDataSource counting) {
		int before = counting.connections.get();
		for (int length : new int[] { 513, 10 * 1024, 1024 * 1024 }) {
			String key = "k".repeat(length);
			assertKeyRejected(() -> provider.acquire(request(key, Duration.ofSeconds(30), Map.of())));
			assertKeyRejected(() -> provider.release(new LeaseRef(key, LeaseType.WRITE, "lease")));
			assertKeyRejected(() -> provider.extend(new LeaseRef(key, LeaseType.WRITE, "lease"), Duration.ofSeconds(1)));
			assertKeyRejected(() -> provider.inspect(key));
			LeaseRef good = new LeaseRef("renew-" + UUID.randomUUID(), LeaseType.WRITE, "lease");
			assertKeyRejected(() -> provider.renew(List.of(new Renewal(good, Duration.ofSeconds(1)),
					new Renewal(new LeaseRef(key, LeaseType.WRITE, "lease"), Duration.ofSeconds(1)))));
			assertKeyRejected(() -> provider.forceRelease(key));
			assertKeyRejected(() -> provider.list(key, 0, 10));
		}
		// 256 "€" twice: 512 characters, but 4,608 once URL-encoded into the 4,000-character column
		Map<String, String> metadata = Map.of("service", "€".repeat(256), "who", "€".repeat(256));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> provider.acquire(request("m-" + UUID.randomUUID(), Duration.ofSeconds(30), metadata)))
			.withMessageContaining("metadata")
			.withMessageContaining("4000");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> provider.acquire(request("t-" + UUID.randomUUID(), Duration.ofNanos(999_999), Map.of())))
			.withMessageContaining("ttl")
			.withMessageContaining("1 ms");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> provider.extend(new LeaseRef("t", LeaseType.WRITE, "lease"), Duration.ofNanos(500_000)))
			.withMessageContaining("1 ms");
		// beyond the database's timestamps (now + TTL overflows) or beyond a long of milliseconds
		for (Duration huge : new Duration[] { Duration.ofDays(400), Duration.ofSeconds(Long.MAX_VALUE / 1000),
				Duration.ofSeconds(Long.MAX_VALUE) }) {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(request("t-" + UUID.randomUUID(), huge, Map.of())))
				.withMessageContaining("ttl");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.extend(new LeaseRef("t", LeaseType.WRITE, "lease"), huge))
				.withMessageContaining("ttl");
		}
		assertThat(counting.connections.get()).as("connections borrowed for bad input").isEqualTo(before);
	}

	private static void assertKeyRejected(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
		assertThatIllegalArgumentException().isThrownBy(call)
			.withMessageContaining("512")
			.satisfies((ex) -> assertThat(ex.getMessage()).as("message length").hasSizeLessThan(300));
	}

	/**
	 * Checks that the longest allowed key (512 characters, multibyte ones included) and metadata just within
	 * the column work.
	 */
	static void assertLimitsAreUsable(LockProvider provider) {
		String key = "€".repeat(512 - 37) + UUID.randomUUID() + ":";
		assertThat(key).hasSize(512);
		LeaseRequest longest = request(key, Duration.ofSeconds(30), Map.of("who", "€".repeat(400)));
		assertThat(provider.acquire(longest).isGranted()).isTrue();
		assertThat(provider.inspect(key).holder()).isEqualTo("owner-1");
		assertThat(provider.release(longest.ref())).isTrue();
	}

}
