package dev.locksmith.boot.kubernetes;

import java.util.HashMap;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.LockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;
import dev.locksmith.provider.kubernetes.KubernetesLockProvider;
import dev.locksmith.provider.kubernetes.Mutex;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Boot application with {@code locksmith.provider=kubernetes} locks through Lease objects (or, with
 * {@code locksmith.kubernetes.resource=mutex}, Mutex objects) on fabric8's CRUD mock API server, using the
 * application's {@link KubernetesClient} bean.
 */
class KubernetesBootTests {

	private static KubernetesMockServer server;

	private static KubernetesClient client;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class));

	@BeforeAll
	static void start() {
		server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
				new KubernetesCrudDispatcher(), false);
		server.init();
		client = server.createClient();
	}

	@AfterAll
	static void stop() {
		client.close();
		server.destroy();
	}

	@Test
	void providerKubernetesLocksThroughLeaseObjects() {
		this.contextRunner.withBean(KubernetesClient.class, server::createClient)
			.withPropertyValues("locksmith.provider=kubernetes", "locksmith.kubernetes.namespace=locks",
					"locksmith.key-prefix=boot:", "locksmith.owner-id=pod-a")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(KubernetesLockProvider.class);
				MutexService locks = context.getBean(MutexService.class);
				assertThat(locks.providerName()).isEqualTo("kubernetes");
				KubernetesLockProvider provider = context.getBean(KubernetesLockProvider.class);
				String name = provider.objectName("boot:db-migration");
				try (LockHandle handle = locks.acquire("db-migration")) {
					assertThat(handle.fencingToken()).isPositive();
					Lease lease = client.leases().inNamespace("locks").withName(name).get();
					assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("pod-a");
					assertThat(provider.inspect("boot:db-migration").holder()).isEqualTo("pod-a");
				}
				assertThat(locks.isLocked("db-migration")).isFalse();
				assertThat(client.leases().inNamespace("locks").withName(name).get().getSpec().getHolderIdentity())
					.isNull();
			});
	}

	@Test
	void resourceMutexLocksThroughMutexObjectsNamedAsTheKey() {
		this.contextRunner.withBean(KubernetesClient.class, server::createClient)
			.withPropertyValues("locksmith.provider=kubernetes", "locksmith.kubernetes.namespace=locks",
					"locksmith.kubernetes.resource=mutex", "locksmith.key-prefix=boot-", "locksmith.owner-id=pod-m")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				MutexService locks = context.getBean(MutexService.class);
				assertThat(context.getBean(KubernetesLockProvider.class).objectName("boot-schema-migration"))
					.as("a key that is a DNS label names its Mutex").isEqualTo("boot-schema-migration");
				try (LockHandle handle = locks.acquire("schema-migration")) {
					assertThat(handle.fencingToken()).isPositive();
					Mutex mutex = client.resources(Mutex.class).inNamespace("locks")
						.withName("boot-schema-migration").get();
					assertThat(mutex.getStatus().getHolder()).isEqualTo("pod-m");
					assertThat(mutex.getStatus().getPhase()).isEqualTo(Mutex.LOCKED);
				}
				assertThat(client.resources(Mutex.class).inNamespace("locks")
					.withName("boot-schema-migration").get().getStatus().getPhase())
					.isEqualTo(Mutex.UNLOCKED);
			});
	}

}
