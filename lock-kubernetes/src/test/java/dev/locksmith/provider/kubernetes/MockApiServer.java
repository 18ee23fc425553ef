package dev.locksmith.provider.kubernetes;

import java.util.HashMap;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * fabric8's mock API server in CRUD mode (objects are stored and served back, watches get events), on a
 * free local port over plain HTTP. It is not a real API server: see {@link MockServerConcurrencyTests} for
 * what it enforces.
 */
final class MockApiServer implements AutoCloseable {

	private final KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
			new HashMap<>(), new KubernetesCrudDispatcher(), false);

	MockApiServer() {
		this.server.init();
	}

	/** Returns a new, independent client of the server, in namespace {@code test}. */
	KubernetesClient client() {
		return this.server.createClient((builder) -> builder.editOrNewConfig().withNamespace("test").endConfig());
	}

	/** Returns how many HTTP requests the server has received so far (a watch counts once, when opened). */
	int requestCount() {
		return this.server.getRequestCount();
	}

	@Override
	public void close() {
		this.server.destroy();
	}

}
