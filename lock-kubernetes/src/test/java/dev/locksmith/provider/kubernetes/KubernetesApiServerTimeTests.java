package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockClock;
import dev.locksmith.spi.LeaseRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expiry times are stamped and judged on the API server's time (its {@code Date} header), not on a client clock
 * that may be far off: a client whose clock is an hour behind or ahead still stamps leases that expire a TTL from
 * the server's now, so it neither loses exclusion nor blocks a key for an hour.
 */
class KubernetesApiServerTimeTests {

	private static final Duration TTL = Duration.ofSeconds(10);

	private static MockApiServer server;

	private static KubernetesClient clientA;

	private static KubernetesClient clientB;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		clientA = server.client();
		clientB = server.client();
	}

	@AfterAll
	static void stop() {
		clientA.close();
		clientB.close();
		server.close();
	}

	@Test
	void aClientWhoseClockIsAnHourBehindStillExcludesOthers() {
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(skewed(Duration.ofHours(-1)))
			.build(); KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			assertThat(a.acquire(write("behind", "a")).isGranted()).isTrue();
			assertThat(b.acquire(write("behind", "b")).isGranted())
				.as("B took the key: A stamped its expiry with a clock an hour behind").isFalse();
			assertExpiresAboutATtlFromNow(b.inspect("behind").leases().get(0));
		}
	}

	@Test
	void aClientWhoseClockIsAnHourAheadDoesNotBlockTheKeyForAnHour() {
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(skewed(Duration.ofHours(1)))
			.build(); KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			assertThat(a.acquire(write("ahead", "a")).isGranted()).isTrue();
			assertExpiresAboutATtlFromNow(b.inspect("ahead").leases().get(0));
		}
	}

	@Test
	void theCorrectionIsTheSmallestShiftThatAgreesWithTheDateHeader() {
		// the server's clock read D (whole seconds) at some instant while the request was in flight [sent, received]
		long d = 1_000_000_000_000L;
		assertThat(ApiServerClock.correction(d + 200, d + 300, d)).as("agrees: no shift").isZero();
		assertThat(ApiServerClock.correction(d + 900, d + 1_100, d)).as("agrees within the second").isZero();
		assertThat(ApiServerClock.correction(d - 3_600_000, d - 3_599_900, d)).as("an hour behind")
			.isEqualTo(3_599_900);
		assertThat(ApiServerClock.correction(d + 3_600_000, d + 3_600_100, d)).as("an hour ahead")
			.isEqualTo(-3_599_000);
	}

	private static void assertExpiresAboutATtlFromNow(LeaseInfo lease) {
		Instant now = Instant.now();
		assertThat(lease.expiresAt()).isBetween(now.plus(TTL).minusSeconds(3), now.plus(TTL).plusSeconds(3));
	}

	private static LeaseRequest write(String key, String leaseId) {
		return new LeaseRequest(key, LeaseType.WRITE, leaseId, "pod-" + leaseId, TTL, 1, 1, Map.of());
	}

	private static LockClock skewed(Duration skew) {
		return new LockClock() {
			@Override
			public long nanoTime() {
				return System.nanoTime();
			}

			@Override
			public Instant now() {
				return Instant.now().plus(skew);
			}
		};
	}

}
