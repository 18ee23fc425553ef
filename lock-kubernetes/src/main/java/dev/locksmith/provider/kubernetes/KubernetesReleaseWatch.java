package dev.locksmith.provider.kubernetes;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.provider.support.ReleaseSignals;

/**
 * The provider's one watch on its Lease objects. When an object is deleted, or is written with fewer leases
 * than the last version this watch saw, its key's waiters are signalled. When the watch ends (the API server
 * closed it, for example with 410 Gone after a long disconnection) it is started again and every waiter is
 * woken, since a release may have been missed meanwhile.
 */
final class KubernetesReleaseWatch implements Watcher<Lease> {

	private static final Logger logger = LoggerFactory.getLogger(KubernetesReleaseWatch.class);

	private final NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> leases;

	private final ReleaseSignals signals;

	private final ToIntFunction<Lease> leaseCount;

	/** Lease count per object name, as of the last event seen. */
	private final ConcurrentHashMap<String, Integer> lastCounts = new ConcurrentHashMap<>();

	private volatile @Nullable Watch watch;

	private volatile boolean closed;

	KubernetesReleaseWatch(NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> leases, ReleaseSignals signals,
			ToIntFunction<Lease> leaseCount) {
		this.leases = leases;
		this.signals = signals;
		this.leaseCount = leaseCount;
		start();
	}

	private void start() {
		try {
			this.watch = this.leases.withLabel(KubernetesLockProvider.MANAGED_BY_LABEL, KubernetesLockProvider.MANAGED_BY)
				.watch(this);
		}
		catch (RuntimeException ex) {
			// waiters still retry at the blocking lease's expiry; the next provider call surfaces the outage
			logger.warn("Could not start the watch on Lease objects; waiters fall back to expiry hints", ex);
		}
	}

	@Override
	public void eventReceived(Action action, Lease lease) {
		String key = KubernetesLockProvider.annotation(lease, KubernetesLockProvider.KEY_ANNOTATION);
		String name = lease.getMetadata().getName();
		if (key == null || name == null) {
			return;
		}
		if (action == Action.DELETED) {
			this.lastCounts.remove(name);
			this.signals.signal(key);
			return;
		}
		int count = this.leaseCount.applyAsInt(lease);
		Integer previous = this.lastCounts.put(name, count);
		if (previous == null || count < previous) {
			this.signals.signal(key);
		}
	}

	@Override
	public void onClose(WatcherException cause) {
		if (!this.closed) {
			logger.info("The watch on Lease objects closed ({}); starting it again", cause.getMessage());
			this.lastCounts.clear();
			start();
			this.signals.signalAll();
		}
	}

	void close() {
		this.closed = true;
		Watch current = this.watch;
		if (current != null) {
			current.close();
		}
	}

}
