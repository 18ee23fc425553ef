package dev.locksmith.boot.autoconfigure;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;

import dev.locksmith.MutexService;
import dev.locksmith.provider.kubernetes.KubernetesLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * The Kubernetes provider configuration ({@code locksmith.provider=kubernetes}): a
 * {@link KubernetesLockProvider} on the application's {@link KubernetesClient} bean if it has one, otherwise on
 * a client of its own configured from the environment (in a pod its service account, else the kubeconfig),
 * closed with the provider. Without fabric8 or lock-kubernetes on the classpath, startup fails with a message
 * that names them ({@link LockProviderConfigurations.Unavailable}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = { "io.fabric8.kubernetes.client.KubernetesClient",
		"dev.locksmith.provider.kubernetes.KubernetesLockProvider" })
@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
@ConditionalOnProperty(name = "locksmith.provider", havingValue = "kubernetes")
class KubernetesProviderConfiguration {

	@Bean(destroyMethod = "close")
	LockProvider locksmithLockProvider(ObjectProvider<KubernetesClient> clients, LocksmithProperties properties) {
		LocksmithProperties.Kubernetes kubernetes = properties.getKubernetes();
		KubernetesClient client = clients.getIfUnique();
		boolean own = client == null;
		KubernetesLockProvider.Builder builder = KubernetesLockProvider
			.builder(own ? new KubernetesClientBuilder().build() : client)
			.namePrefix(kubernetes.getNamePrefix())
			.resource((kubernetes.getResource() == LocksmithProperties.Kubernetes.Resource.MUTEX)
					? KubernetesLockProvider.ObjectKind.MUTEX : KubernetesLockProvider.ObjectKind.LEASE)
			.clockSkewAllowance(kubernetes.getClockSkewAllowance())
			.closeClient(own);
		if (StringUtils.hasText(kubernetes.getNamespace())) {
			builder.namespace(kubernetes.getNamespace());
		}
		return builder.build();
	}

}
