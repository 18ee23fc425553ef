package dev.locksmith.cli;

import java.io.File;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jspecify.annotations.Nullable;

/**
 * Opens the {@code --kubernetes} connection: fabric8's configuration from one kubeconfig file when named, else its
 * auto-configuration (the {@code KUBECONFIG} list or {@code ~/.kube/config}, then the pod's service account).
 * A request that fails is retried twice, not fabric8's default ten times, so a script learns of an unreachable API
 * server within seconds (exit 3).
 */
final class KubernetesConnection {

	private static final int REQUEST_RETRIES = 2;

	private KubernetesConnection() {
	}

	/**
	 * Opens a client on the Mutex objects.
	 * @param kubeconfig a kubeconfig file, a {@code KUBECONFIG}-style list, or null for the default
	 * @param namespace the namespace, or null for the configuration's
	 * @return the client
	 */
	static KubernetesMutexClient open(@Nullable String kubeconfig, @Nullable String namespace) {
		try {
			Config config = (kubeconfig != null && !kubeconfig.contains(File.pathSeparator))
					? Config.fromKubeconfig(new File(kubeconfig)) : Config.autoConfigure(null);
			config.setRequestRetryBackoffLimit(REQUEST_RETRIES);
			KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
			return new KubernetesMutexClient(client, namespace);
		}
		catch (KubernetesClientException | IllegalArgumentException ex) {
			throw new CliException(3, "cannot configure the Kubernetes client: " + ex.getMessage());
		}
	}

}
