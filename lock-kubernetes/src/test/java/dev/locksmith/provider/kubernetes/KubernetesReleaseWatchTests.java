package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.ReleaseSubscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The provider's watch when it cannot be started (the API server is unreachable when the provider is built, or
 * when the watch is restarted): it is retried with backoff until it runs, and then waiters wake on releases again.
 */
class KubernetesReleaseWatchTests {

	private static MockApiServer server;

	private static KubernetesClient client;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		client = server.client();
	}

	@AfterAll
	static void stop() {
		client.close();
		server.close();
	}

	@Test
	void aWatchWhoseStartFailsIsRetriedAndThenWakesWaiters() throws Exception {
		AtomicInteger attempts = new AtomicInteger();
		ReleaseSignals signals = new ReleaseSignals();
		KubernetesReleaseWatch<Lease> watch = new KubernetesReleaseWatch<>("Lease", (watcher) -> {
			if (attempts.incrementAndGet() <= 2) {
				throw new KubernetesClientException("connection refused (test)");
			}
			return client.leases().withLabel(KubernetesLockProvider.MANAGED_BY_LABEL, KubernetesLockProvider.MANAGED_BY)
				.watch(watcher);
		}, signals, (object) -> 0);
		try {
			await().atMost(Duration.ofSeconds(30)).until(() -> attempts.get() == 3);
			try (ReleaseSubscription waiter = signals.subscribe("retried")) {
				client.leases().resource(new LeaseBuilder().withNewMetadata().withName("retried")
					.withLabels(Map.of(KubernetesLockProvider.MANAGED_BY_LABEL, KubernetesLockProvider.MANAGED_BY))
					.withAnnotations(Map.of(KubernetesLockProvider.KEY_ANNOTATION, "retried"))
					.endMetadata().withNewSpec().endSpec().build()).create();
				client.leases().withName("retried").delete();
				assertThat(waiter.await(TimeUnit.SECONDS.toNanos(30))).as("woken by the retried watch").isTrue();
			}
		}
		finally {
			watch.close();
		}
		assertThat(attempts.get()).isEqualTo(3);
	}

}
