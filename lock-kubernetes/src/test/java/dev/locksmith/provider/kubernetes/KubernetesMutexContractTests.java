package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.provider.kubernetes.KubernetesLockProvider.ObjectKind;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;

/**
 * The provider contract kit on Mutex custom resources, against the mock API server in CRUD mode with the CRD
 * installed, the services on two independent clients. The mock refuses stale resourceVersions for Mutex
 * objects ({@link MutexMockServerConcurrencyTests}).
 */
class KubernetesMutexContractTests extends LockProviderContractTests {

	private static MockApiServer server;

	private static final List<KubernetesClient> clients = new ArrayList<>();

	private int created;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		clients.add(server.client());
		clients.add(server.client());
		MutexCrd.install(clients.get(0));
	}

	@AfterAll
	static void stop() {
		clients.forEach(KubernetesClient::close);
		clients.clear();
		server.close();
	}

	/** 1 s, as for Leases (see {@link KubernetesLockProviderContractTests#shortTtl()}). */
	@Override
	protected Duration shortTtl() {
		return Duration.ofSeconds(1);
	}

	@Override
	protected LockProvider newProvider() {
		return KubernetesLockProvider.builder(clients.get(this.created++ % 2)).resource(ObjectKind.MUTEX).build();
	}

}
