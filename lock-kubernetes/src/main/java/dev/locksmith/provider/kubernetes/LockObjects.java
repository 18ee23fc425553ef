package dev.locksmith.provider.kubernetes;

import java.time.Instant;
import java.util.List;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;

/**
 * The kind of Kubernetes object a key's state lives in, and what differs between kinds: the API endpoint, a new
 * empty object, the human-readable mirror of the state (a Lease's {@code spec}, a Mutex's {@code status}) and
 * whether an object that carries no Locksmith annotations may be taken over. Everything else (annotations,
 * conditional writes, decisions) is the provider's and the same for every kind.
 *
 * @param <T> the object type
 */
abstract class LockObjects<T extends HasMetadata> {

	/** Returns the kind's name, for messages ({@code Lease}, {@code Mutex}). */
	abstract String kind();

	/** Returns the objects of this kind in a namespace. */
	abstract NonNamespaceOperation<T, ? extends KubernetesResourceList<T>, Resource<T>> in(KubernetesClient client,
			String namespace);

	/** Returns a new object with only its name and namespace. */
	abstract T newObject(String name, String namespace);

	/**
	 * Writes the human-readable mirror of the key's next state into the object.
	 * @param object the object about to be written
	 * @param records the leases it will hold
	 * @param token the last token issued
	 * @param newHolder whether this write grants a key that had no live lease
	 * @param now the writer's time
	 */
	abstract void mirror(T object, List<LeaseRecord> records, long token, boolean newHolder, Instant now);

	/**
	 * Whether an object without Locksmith's key annotation may be used for a key: never for a Lease (it may be a
	 * client-go leader election's); for a Mutex when it is named exactly as the key ({@code kubectl apply} of a
	 * Mutex manifest, or {@code locksmith mutex create}).
	 */
	abstract boolean adopts(@Nullable String objectName, String key);

}
