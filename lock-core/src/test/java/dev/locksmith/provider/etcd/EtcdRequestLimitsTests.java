package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Requests the provider must reject before writing anything: permits outside 1..limit (a fresh semaphore key
 * takes the unchecked fast path, so an over-limit request would be granted), a non-positive TTL, and a lease
 * id with a NUL character (it would be split wrongly when a read or permit key is parsed).
 */
class EtcdRequestLimitsTests {

	private static EtcdTestServer etcd;

	private static Client client;

	@BeforeAll
	static void startEtcd() {
		if (!EtcdTestServer.isInstalled()) {
			return;
		}
		etcd = new EtcdTestServer();
		client = etcd.client();
	}

	@BeforeEach
	void requireEtcd() {
		EtcdTestServer.assumeInstalled();
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			client.close();
			etcd.close();
		}
	}

	@Test
	void permitsOutsideOneToTheLimitAreRejectedAndNothingIsHeld() {
		try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build()) {
			String key = "sem-" + UUID.randomUUID();
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(permits(key, 5, 3)))
				.withMessageContaining("permits");
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(permits(key, 0, 3)))
				.withMessageContaining("permits");
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(permits(key, -2, 3)))
				.withMessageContaining("permits");
			assertThatIllegalArgumentException().isThrownBy(() -> provider.acquire(permits(key, 1, 0)))
				.withMessageContaining("limit");
			assertThat(provider.inspect(key).isLocked()).isFalse();
		}
	}

	@Test
	void aNonPositiveTtlOrALeaseIdWithNulIsRejected() {
		try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build()) {
			String key = "ttl-" + UUID.randomUUID();
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(new LeaseRequest(key, LeaseType.WRITE, "l1", "o", Duration.ZERO, 1, 1,
						Map.of())))
				.withMessageContaining("TTL");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(new LeaseRequest(key, LeaseType.WRITE, "l1", "o", Duration.ofSeconds(-1),
						1, 1, Map.of())))
				.withMessageContaining("TTL");
			// clamping a TTL above etcd's maximum would put the server's expiry before the local deadline
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(new LeaseRequest(key, LeaseType.WRITE, "l1", "o",
						Duration.ofSeconds(9_000_000_001L), 1, 1, Map.of())))
				.withMessageContaining("TTL");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.extend(new dev.locksmith.spi.LeaseRef(key, LeaseType.WRITE, "l1"),
						Duration.ofSeconds(9_000_000_001L)))
				.withMessageContaining("TTL");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(new LeaseRequest(key, LeaseType.READ, "a\0w", "o", Duration.ofSeconds(5),
						1, 1, Map.of())))
				.withMessageContaining("NUL");
			assertThat(provider.inspect(key).isLocked()).isFalse();
		}
	}

	@Test
	void anOversizedOwnerOrLeaseIdIsRejectedAsBadInputNotAnOutage() {
		try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build()) {
			String key = "ids-" + UUID.randomUUID();
			String huge = "x".repeat(2 * 1024 * 1024);
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(new LeaseRequest(key, LeaseType.WRITE, "l1", huge, Duration.ofSeconds(5),
						1, 1, Map.of())))
				.withMessageContaining("owner")
				.withMessageNotContaining(huge);
			assertThatIllegalArgumentException()
				.isThrownBy(() -> provider.acquire(new LeaseRequest(key, LeaseType.READ, huge, "o", Duration.ofSeconds(5),
						1, 1, Map.of())))
				.withMessageContaining("lease id")
				.withMessageNotContaining(huge);
			assertThat(provider.inspect(key).isLocked()).isFalse();
		}
	}

	private static LeaseRequest permits(String key, int permits, int limit) {
		return new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "owner", Duration.ofSeconds(5),
				permits, limit, Map.of());
	}

}
