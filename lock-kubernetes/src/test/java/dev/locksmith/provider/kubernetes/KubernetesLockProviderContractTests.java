package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;

/**
 * The provider contract kit against fabric8's mock API server in CRUD mode, the two services on two
 * independent clients (as two pods would have). The mock refuses stale resourceVersions
 * ({@link MockServerConcurrencyTests}), which is what exclusion rests on; it is not a real API server.
 */
class KubernetesLockProviderContractTests extends LockProviderContractTests {

	private static MockApiServer server;

	private static final List<KubernetesClient> clients = new ArrayList<>();

	private int created;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		clients.add(server.client());
		clients.add(server.client());
	}

	@AfterAll
	static void stop() {
		clients.forEach(KubernetesClient::close);
		clients.clear();
		server.close();
	}

	/**
	 * 1 s: a renewal is two HTTP round trips (read, conditional write) through the mock server's Vert.x stack;
	 * with 300 ms the renewal at a third of the TTL was late on this shared 2-core machine and the lease lapsed
	 * (autoExtendKeepsAHolderAliveForFiveTimesItsTtl, seen once). Real TTLs on Kubernetes are seconds anyway.
	 */
	@Override
	protected Duration shortTtl() {
		return Duration.ofSeconds(1);
	}

	@Override
	protected LockProvider newProvider() {
		return KubernetesLockProvider.builder(clients.get(this.created++ % 2)).build();
	}

}
