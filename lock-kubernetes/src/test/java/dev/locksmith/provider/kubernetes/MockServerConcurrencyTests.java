package dev.locksmith.provider.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
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
 * What the mock API server enforces, since every other test of the provider relies on it: the provider's
 * exclusion rests entirely on the server refusing a write whose resourceVersion is stale (409 Conflict) and a
 * create of a name that exists (409 AlreadyExists).
 */
class MockServerConcurrencyTests {

	private static MockApiServer server;

	private static KubernetesClient first;

	private static KubernetesClient second;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		first = server.client();
		second = server.client();
	}

	@AfterAll
	static void stop() {
		first.close();
		second.close();
		server.close();
	}

	@Test
	void anUpdateWithAStaleResourceVersionIsRefusedWith409() {
		Lease created = first.leases().resource(lease("stale-update", "a")).create();
		Lease readByFirst = first.leases().withName("stale-update").get();
		Lease readBySecond = second.leases().withName("stale-update").get();
		assertThat(readBySecond.getMetadata().getResourceVersion())
			.isEqualTo(created.getMetadata().getResourceVersion());

		readByFirst.getSpec().setHolderIdentity("first");
		Lease updated = first.leases().resource(readByFirst).update();
		assertThat(updated.getMetadata().getResourceVersion()).isNotEqualTo(created.getMetadata().getResourceVersion());

		readBySecond.getSpec().setHolderIdentity("second");
		KubernetesClientException conflict = catchThrowableOfType(KubernetesClientException.class,
				() -> second.leases().resource(readBySecond).update());
		assertThat(conflict).as("a stale resourceVersion must be refused").isNotNull();
		assertThat(conflict.getCode()).isEqualTo(409);
		assertThat(first.leases().withName("stale-update").get().getSpec().getHolderIdentity()).isEqualTo("first");
	}

	@Test
	void aCreateOfAnExistingNameIsRefusedWith409() {
		first.leases().resource(lease("double-create", "a")).create();
		KubernetesClientException exists = catchThrowableOfType(KubernetesClientException.class,
				() -> second.leases().resource(lease("double-create", "b")).create());
		assertThat(exists).isNotNull();
		assertThat(exists.getCode()).isEqualTo(409);
		assertThat(first.leases().withName("double-create").get().getSpec().getHolderIdentity()).isEqualTo("a");
	}

	/**
	 * A real API server refuses a merge patch that names a stale {@code metadata.resourceVersion} (409). The
	 * provider never patches (it updates); the mock refuses it too (measured: 409, holder unchanged).
	 */
	@Test
	void aMergePatchWithAStaleResourceVersion() {
		Lease created = first.leases().resource(lease("stale-patch", "a")).create();
		String stale = created.getMetadata().getResourceVersion();
		Lease readByFirst = first.leases().withName("stale-patch").get();
		readByFirst.getSpec().setHolderIdentity("first");
		first.leases().resource(readByFirst).update();

		KubernetesClientException conflict = catchThrowableOfType(KubernetesClientException.class,
				() -> second.leases().withName("stale-patch").patch(PatchContext.of(PatchType.JSON_MERGE),
						"{\"metadata\":{\"resourceVersion\":\"" + stale + "\"},\"spec\":{\"holderIdentity\":\"second\"}}"));
		String holder = first.leases().withName("stale-patch").get().getSpec().getHolderIdentity();
		assertThat(conflict).as("a stale resourceVersion in a merge patch must be refused").isNotNull();
		assertThat(conflict.getCode()).isEqualTo(409);
		assertThat(holder).isEqualTo("first");
	}

	private static Lease lease(String name, String holder) {
		return new LeaseBuilder().withNewMetadata().withName(name).endMetadata()
			.withNewSpec().withHolderIdentity(holder).endSpec().build();
	}

}
