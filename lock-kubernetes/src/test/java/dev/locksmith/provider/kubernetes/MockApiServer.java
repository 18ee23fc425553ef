package dev.locksmith.provider.kubernetes;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * fabric8's mock API server in CRUD mode (objects are stored and served back, watches get events), on a
 * free local port over plain HTTP. It is not a real API server: see {@link MockServerConcurrencyTests} for
 * what it enforces. In front of it, the discovery kubectl needs and the mock lacks: {@code GET /apis} lists the
 * API groups the tests use, and {@code GET /apis/<group>/<version>} their resources; and the {@code Date} header
 * every API server sends (the mock sends none), from this machine's clock.
 */
final class MockApiServer implements AutoCloseable {

	private static final String GROUPS = "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":["
			+ String.join(",", group("locksmith.dev", "v1"), group("apiextensions.k8s.io", "v1"),
					group("coordination.k8s.io", "v1"))
			+ "]}";

	private static final Map<String, String> RESOURCES = Map.of("/apis/locksmith.dev/v1",
			resources("locksmith.dev/v1", "mutexes", "mutex", "Mutex", true), "/apis/apiextensions.k8s.io/v1",
			resources("apiextensions.k8s.io/v1", "customresourcedefinitions", "customresourcedefinition",
					"CustomResourceDefinition", false),
			"/apis/coordination.k8s.io/v1", resources("coordination.k8s.io/v1", "leases", "lease", "Lease", true));

	private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();

	/** Requests answered with 409 Conflict instead of being applied (a scripted storm of competing writers). */
	private volatile java.util.function.Predicate<RecordedRequest> conflicting = (request) -> false;

	private final KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
			new HashMap<>(), new Front(), false);

	MockApiServer() {
		this.server.init();
	}

	/** Returns a new, independent client of the server, in namespace {@code test}. */
	KubernetesClient client() {
		return this.server.createClient((builder) -> builder.editOrNewConfig().withNamespace("test").endConfig());
	}

	/**
	 * Answers the requests that match with 409 Conflict, as the API server does to an update whose
	 * resourceVersion another writer has moved on, without applying them.
	 * @param conflicting which requests conflict ({@code (r) -> false} to stop)
	 */
	void conflictOn(java.util.function.Predicate<RecordedRequest> conflicting) {
		this.conflicting = conflicting;
	}

	/** Returns how many HTTP requests the server has received so far (a watch counts once, when opened). */
	int requestCount() {
		return this.server.getRequestCount();
	}

	/**
	 * Stops the server. Its Vert.x shutdown waits a fixed time for connections to close, which a loaded machine
	 * can exceed after kubectl's requests; that only leaks a server at the end of a test class, so it is
	 * reported and not failed on.
	 */
	@Override
	public void close() {
		try {
			this.server.destroy();
		}
		catch (IllegalStateException ex) {
			System.err.println("MockApiServer: " + ex.getMessage() + " (ignored at shutdown)");
		}
	}

	private static String group(String name, String version) {
		String gv = "{\"groupVersion\":\"" + name + "/" + version + "\",\"version\":\"" + version + "\"}";
		return "{\"name\":\"" + name + "\",\"versions\":[" + gv + "],\"preferredVersion\":" + gv + "}";
	}

	private static String resources(String groupVersion, String plural, String singular, String kind,
			boolean namespaced) {
		return "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" + groupVersion
				+ "\",\"resources\":[{\"name\":\"" + plural + "\",\"singularName\":\"" + singular
				+ "\",\"namespaced\":" + namespaced + ",\"kind\":\"" + kind
				+ "\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}]}";
	}

	/** Discovery answers; everything else goes to the CRUD dispatcher. */
	private final class Front extends Dispatcher {

		@Override
		public MockResponse dispatch(RecordedRequest request) {
			String path = request.getPath();
			String withoutQuery = (path.indexOf('?') >= 0) ? path.substring(0, path.indexOf('?')) : path;
			String discovery = withoutQuery.equals("/apis") ? GROUPS : RESOURCES.get(withoutQuery);
			if ("GET".equals(request.getMethod()) && discovery != null) {
				return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json")
					.setBody(discovery);
			}
			MockResponse response = MockApiServer.this.conflicting.test(request)
					? new MockResponse().setResponseCode(409).addHeader("Content-Type", "application/json")
						.setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
								+ "\"reason\":\"Conflict\",\"code\":409,\"message\":\"the object has been modified\"}")
					: MockApiServer.this.crud.dispatch(request);
			String now = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
			return (response.header("Date") != null) ? response : response.addHeader("Date", now);
		}

		@Override
		public void shutdown() {
			MockApiServer.this.crud.shutdown();
		}

	}

}
