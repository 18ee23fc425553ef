package dev.locksmith.provider.kubernetes;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The {@code locksmith.dev/v1} Mutex custom resource (its CustomResourceDefinition ships as
 * {@code lock-kubernetes/deploy/mutex-crd.yaml}): {@code spec.ttl} is the mutex's default TTL for the CLI, and
 * {@code status} shows the holder, when it was locked, when it expires and the phase ({@value #UNLOCKED} or
 * {@value #LOCKED}) for {@code kubectl get mutex}. The status is a mirror the provider writes with every change;
 * the lock's state itself is in the object's annotations, as on a Lease (see {@link KubernetesLockProvider}).
 */
@Group("locksmith.dev")
@Version("v1")
@Kind("Mutex")
@Plural("mutexes")
@Singular("mutex")
public class Mutex extends CustomResource<MutexSpec, MutexStatus> implements Namespaced {

	/** The {@code status.phase} of a mutex nobody holds. */
	public static final String UNLOCKED = "Unlocked";

	/** The {@code status.phase} of a held mutex. */
	public static final String LOCKED = "Locked";

	private static final long serialVersionUID = 1L;

	/**
	 * Creates an empty Mutex (for the JSON mapper and builders).
	 */
	public Mutex() {
	}

	@Override
	protected MutexSpec initSpec() {
		return new MutexSpec();
	}

	@Override
	protected MutexStatus initStatus() {
		return new MutexStatus();
	}

}
