package dev.locksmith.boot.autoconfigure;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.provider.kubernetes.KubernetesLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes provider wired from {@code locksmith.kubernetes.*}. No API server is reachable here (and the
 * mock server needs Vert.x 5, which this module's etcd test classpath cannot have), so these check the wiring and
 * the startup errors; lock-kubernetes runs the contract kit against the mock server.
 */
class KubernetesProviderConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class));

	@Test
	void providerKubernetesUsesTheApplicationsClientAndTheConfiguredNamespace() {
		KubernetesClient client = new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1").withNamespace("from-client")
				.withRequestRetryBackoffLimit(0).build())
			.build();
		try (client) {
			this.contextRunner.withBean(KubernetesClient.class, () -> client)
				.withPropertyValues("locksmith.provider=kubernetes", "locksmith.kubernetes.namespace=locks",
						"locksmith.kubernetes.name-prefix=app-")
				.run((context) -> {
					assertThat(context).hasNotFailed().hasSingleBean(KubernetesLockProvider.class);
					KubernetesLockProvider provider = context.getBean(KubernetesLockProvider.class);
					assertThat(provider.namespace()).isEqualTo("locks");
					assertThat(provider.objectName("orders:42")).startsWith("app-orders-42-");
				});
		}
	}

	@Test
	void theNamespaceDefaultsToTheClients() {
		KubernetesClient client = new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1").withNamespace("from-client")
				.withRequestRetryBackoffLimit(0).build())
			.build();
		try (client) {
			this.contextRunner.withBean(KubernetesClient.class, () -> client)
				.withPropertyValues("locksmith.provider=kubernetes")
				.run((context) -> assertThat(context.getBean(KubernetesLockProvider.class).namespace())
					.isEqualTo("from-client"));
		}
	}

	@Test
	void withoutFabric8StartupFailsNamingWhatToAdd() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.fabric8.kubernetes.client"))
			.withPropertyValues("locksmith.provider=kubernetes")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.provider=kubernetes could not be configured")
				.hasMessageContaining("io.fabric8:kubernetes-client")
				.hasMessageContaining("lock-kubernetes"));
	}

	@Test
	void resourceMutexLocksInMutexObjects() {
		KubernetesClient client = new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1").withNamespace("from-client")
				.withRequestRetryBackoffLimit(0).build())
			.build();
		try (client) {
			this.contextRunner.withBean(KubernetesClient.class, () -> client)
				.withPropertyValues("locksmith.provider=kubernetes", "locksmith.kubernetes.resource=mutex",
						"locksmith.kubernetes.clock-skew-allowance=3s")
				.run((context) -> {
					KubernetesLockProvider provider = context.getBean(KubernetesLockProvider.class);
					assertThat(provider.resource()).isEqualTo(KubernetesLockProvider.ObjectKind.MUTEX);
					assertThat(provider.objectName("db-migration")).isEqualTo("db-migration");
					assertThat(provider.clockSkewAllowance()).isEqualTo(java.time.Duration.ofSeconds(3));
				});
		}
	}

	@Test
	void theClockSkewAllowanceDefaultsToTheProvidersAndIsChecked() {
		assertThat(new LocksmithProperties().getKubernetes().getClockSkewAllowance())
			.isEqualTo(KubernetesLockProvider.DEFAULT_CLOCK_SKEW_ALLOWANCE);
		this.contextRunner
			.withPropertyValues("locksmith.provider=kubernetes", "locksmith.kubernetes.clock-skew-allowance=2h")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.kubernetes.clock-skew-allowance"));
		this.contextRunner
			.withPropertyValues("locksmith.provider=kubernetes", "locksmith.kubernetes.clock-skew-allowance=-1s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.kubernetes.clock-skew-allowance"));
	}

}
