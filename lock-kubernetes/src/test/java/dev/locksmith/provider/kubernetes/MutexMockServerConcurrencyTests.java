package dev.locksmith.provider.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What the mock API server enforces for the Mutex custom resource, as {@link MockServerConcurrencyTests} checks
 * for Leases: the Mutex provider's exclusion rests on a stale resourceVersion being refused (409 Conflict) on
 * update and patch, and a create of an existing name being refused (409 AlreadyExists), for a custom resource
 * too. The CRD is installed in the mock first, as on a cluster.
 */
class MutexMockServerConcurrencyTests {

	private static MockApiServer server;

	private static KubernetesClient first;

	private static KubernetesClient second;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		first = server.client();
		second = server.client();
		MutexCrd.install(first);
	}

	@AfterAll
	static void stop() {
		first.close();
		second.close();
		server.close();
	}

	@Test
	void anUpdateWithAStaleResourceVersionIsRefusedWith409() {
		Mutex created = first.resources(Mutex.class).resource(mutex("stale-update", "a")).create();
		Mutex readByFirst = first.resources(Mutex.class).withName("stale-update").get();
		Mutex readBySecond = second.resources(Mutex.class).withName("stale-update").get();
		assertThat(readBySecond.getMetadata().getResourceVersion())
			.isEqualTo(created.getMetadata().getResourceVersion());

		readByFirst.getStatus().setHolder("first");
		Mutex updated = first.resources(Mutex.class).resource(readByFirst).update();
		assertThat(updated.getMetadata().getResourceVersion()).isNotEqualTo(created.getMetadata().getResourceVersion());
		assertThat(updated.getStatus().getHolder()).as("no status subresource: an update writes the status")
			.isEqualTo("first");

		readBySecond.getStatus().setHolder("second");
		KubernetesClientException conflict = catchThrowableOfType(KubernetesClientException.class,
				() -> second.resources(Mutex.class).resource(readBySecond).update());
		assertThat(conflict).as("a stale resourceVersion must be refused").isNotNull();
		assertThat(conflict.getCode()).isEqualTo(409);
		assertThat(holder("stale-update")).isEqualTo("first");
	}

	@Test
	void aCreateOfAnExistingNameIsRefusedWith409() {
		first.resources(Mutex.class).resource(mutex("double-create", "a")).create();
		KubernetesClientException exists = catchThrowableOfType(KubernetesClientException.class,
				() -> second.resources(Mutex.class).resource(mutex("double-create", "b")).create());
		assertThat(exists).isNotNull();
		assertThat(exists.getCode()).isEqualTo(409);
		assertThat(holder("double-create")).isEqualTo("a");
	}

	@Test
	void aMergePatchWithAStaleResourceVersionIsRefusedWith409() {
		Mutex created = first.resources(Mutex.class).resource(mutex("stale-patch", "a")).create();
		String stale = created.getMetadata().getResourceVersion();
		Mutex readByFirst = first.resources(Mutex.class).withName("stale-patch").get();
		readByFirst.getStatus().setHolder("first");
		first.resources(Mutex.class).resource(readByFirst).update();

		KubernetesClientException conflict = catchThrowableOfType(KubernetesClientException.class,
				() -> second.resources(Mutex.class).withName("stale-patch").patch(PatchContext.of(PatchType.JSON_MERGE),
						"{\"metadata\":{\"resourceVersion\":\"" + stale + "\"},\"status\":{\"holder\":\"second\"}}"));
		assertThat(conflict).as("a stale resourceVersion in a merge patch must be refused").isNotNull();
		assertThat(conflict.getCode()).isEqualTo(409);
		assertThat(holder("stale-patch")).isEqualTo("first");
	}

	private static String holder(String name) {
		return first.resources(Mutex.class).withName(name).get().getStatus().getHolder();
	}

	private static Mutex mutex(String name, String holder) {
		Mutex mutex = new Mutex();
		ObjectMeta meta = new ObjectMeta();
		meta.setName(name);
		mutex.setMetadata(meta);
		mutex.setSpec(new MutexSpec());
		mutex.setStatus(new MutexStatus());
		mutex.getStatus().setHolder(holder);
		return mutex;
	}

}
