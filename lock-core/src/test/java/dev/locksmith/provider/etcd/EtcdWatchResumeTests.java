package dev.locksmith.provider.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The provider's watch, broken while its member is down, resumes after the last revision it saw: a
 * deletion made through another member while the watch was down is still delivered when it comes back
 * (the same events wake waiters and report a holder's loss). A watch restarted "from now" would skip it.
 */
class EtcdWatchResumeTests {

	private List<EtcdTestServer> members;

	private Client clientA;

	private Client clientB;

	@BeforeEach
	void start() {
		EtcdTestServer.assumeInstalled();
		this.members = EtcdTestServer.cluster(3);
		this.clientA = this.members.get(0).client();
		this.clientB = this.members.get(1).client();
	}

	@AfterEach
	void stop() {
		if (this.members != null) {
			this.clientA.close();
			this.clientB.close();
			this.members.forEach(EtcdTestServer::close);
		}
	}

	@Test
	void aDeletionWhileTheWatchWasDownIsDeliveredWhenItResumes() throws Exception {
		try (EtcdLockProvider providerA = EtcdLockProvider.builder(this.clientA)
			.requestTimeout(Duration.ofSeconds(2))
			.build();
				EtcdLockProvider providerB = EtcdLockProvider.builder(this.clientB)
					.requestTimeout(Duration.ofSeconds(2))
					.build()) {
			CountDownLatch lost = new CountDownLatch(1);
			providerA.setLeaseLossListener((ref) -> lost.countDown());
			String key = "resume-" + UUID.randomUUID();
			LeaseRequest request = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "a",
					Duration.ofSeconds(60), 1, 1, Map.of());
			assertThat(providerA.acquire(request).isGranted()).isTrue();

			this.members.get(0).stop();
			// deleted through another member while A's watch is down (the stopped member may have led: retry)
			await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
				providerB.forceRelease(key);
				return !providerB.inspect(key).isLocked();
			});
			this.members.get(0).start();
			await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(providerA::ping);

			// no renewal runs here: only the resumed watch can tell A that its lease was deleted
			assertThat(lost.await(15, TimeUnit.SECONDS)).as("the resumed watch delivers the deletion").isTrue();
		}
	}

	@Test
	void aResumeFromACompactedRevisionSettlesAndKeepsDeliveringReleases() throws Exception {
		try (EtcdLockProvider providerA = EtcdLockProvider.builder(this.clientA)
			.requestTimeout(Duration.ofSeconds(2))
			.build();
				EtcdLockProvider providerB = EtcdLockProvider.builder(this.clientB)
					.requestTimeout(Duration.ofSeconds(2))
					.build()) {
			String key = "compacted-" + UUID.randomUUID();
			LeaseRequest held = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "b",
					Duration.ofSeconds(60), 1, 1, Map.of());
			assertThat(providerB.acquire(held).isGranted()).isTrue();

			this.members.get(0).stop();
			// deletions while A's watch is down, then compaction past them: A's resume revision is gone
			await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
				for (int i = 0; i < 5; i++) {
					LeaseRequest churn = new LeaseRequest("churn-" + i, LeaseType.WRITE, UUID.randomUUID().toString(),
							"b", Duration.ofSeconds(60), 1, 1, Map.of());
					providerB.acquire(churn);
					providerB.release(churn.ref());
				}
				long revision = this.clientB.getKVClient().get(ByteSequence.from("x", StandardCharsets.UTF_8))
					.get(2, TimeUnit.SECONDS).getHeader().getRevision();
				this.clientB.getKVClient().compact(revision).get(2, TimeUnit.SECONDS);
				return true;
			});
			this.members.get(0).start();
			await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(providerA::ping);

			try (ReleaseSubscription waiter = providerA.subscribe(key)) {
				// the wake-ups of the failed and resumed watch stop once it is back (a watch stuck resuming
				// from the compacted revision would keep failing and waking every 200 ms)
				await().atMost(Duration.ofSeconds(20)).until(() -> !waiter.await(TimeUnit.SECONDS.toNanos(1)));
				assertThat(providerB.release(held.ref())).isTrue();
				assertThat(waiter.await(TimeUnit.SECONDS.toNanos(10))).as("woken by the release").isTrue();
			}
		}
	}

}
