package dev.locksmith.provider.etcd;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import io.etcd.jetcd.Client;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Denied attempts must not leave etcd leases behind: the live count (granted minus revoked, from etcd's own
 * metrics) returns to what the holders need.
 */
class EtcdLeaseLeakTests {

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
	void deniedAttemptsRevokeTheEtcdLeaseTheyWereGranted() throws Exception {
		try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build()) {
			String key = "leak-" + UUID.randomUUID();
			String semaphore = "leak-sem-" + UUID.randomUUID();
			assertThat(provider.acquire(write(key)).isGranted()).isTrue();
			assertThat(provider.acquire(new LeaseRequest(semaphore, LeaseType.PERMITS, UUID.randomUUID().toString(), "o",
					Duration.ofSeconds(60), 2, 2, Map.of())).isGranted()).isTrue();
			long baseline = liveLeases();
			assertThat(baseline).as("the holders' etcd leases").isGreaterThanOrEqualTo(2);
			for (int i = 0; i < 100; i++) {
				assertThat(provider.acquire(write(key)).isGranted()).isFalse();
				assertThat(provider.acquire(new LeaseRequest(key, LeaseType.READ, UUID.randomUUID().toString(), "o",
						Duration.ofSeconds(60), 1, 1, Map.of())).isGranted()).isFalse();
				assertThat(provider.acquire(new LeaseRequest(semaphore, LeaseType.PERMITS, UUID.randomUUID().toString(),
						"o", Duration.ofSeconds(60), 1, 2, Map.of())).isGranted()).isFalse();
			}
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> liveLeases() == baseline);
		}
	}

	@Test
	void renewalTicksDoNotPileUpTickLeases() throws Exception {
		try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build()) {
			java.util.List<dev.locksmith.spi.Renewal> renewals = new java.util.ArrayList<>();
			for (int i = 0; i < 3; i++) {
				LeaseRequest request = write("tick-" + UUID.randomUUID());
				assertThat(provider.acquire(request).isGranted()).isTrue();
				renewals.add(new dev.locksmith.spi.Renewal(request.ref(), Duration.ofSeconds(60)));
			}
			assertThat(provider.renew(renewals)).hasSize(3);
			long afterFirstTick = liveLeases();
			for (int tick = 0; tick < 10; tick++) {
				assertThat(provider.renew(renewals)).hasSize(3);
			}
			// at most: the first tick's revocations of the grant-time leases may still have been under way
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> liveLeases() <= afterFirstTick);
		}
	}

	private static long liveLeases() throws Exception {
		String metrics;
		try (InputStream in = URI.create(etcd.endpoint() + "/metrics").toURL().openStream()) {
			metrics = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		return (long) (metric(metrics, "etcd_debugging_lease_granted_total")
				- metric(metrics, "etcd_debugging_lease_revoked_total"));
	}

	private static double metric(String metrics, String name) {
		for (String line : metrics.split("\n")) {
			if (line.startsWith(name + " ")) {
				return Double.parseDouble(line.substring(name.length() + 1).trim());
			}
		}
		throw new IllegalStateException("no metric " + name);
	}

	private static LeaseRequest write(String key) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "o", Duration.ofSeconds(60), 1, 1,
				Map.of());
	}

}
