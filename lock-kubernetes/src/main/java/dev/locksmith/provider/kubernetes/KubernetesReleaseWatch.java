package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToIntFunction;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.provider.support.ReleaseSignals;

/**
 * The provider's one watch on its lock objects. When an object is deleted, or is written with fewer leases
 * (each counted by its permits) than the last version this watch saw, its key's waiters are signalled. When the watch ends (the API server
 * closed it, for example with 410 Gone after a long disconnection) it is started again. A start that fails
 * (the API server is unreachable) is retried after a backoff that doubles from {@value #FIRST_RETRY_MILLIS} ms
 * to at most {@value #MAX_RETRY_MILLIS} ms, with jitter, on the watch's own daemon thread, until it succeeds or
 * the provider closes; meanwhile waiters fall back to their expiry hints. Whenever a watch (re)starts, every
 * waiter is woken, since a release may have been missed while there was none.
 *
 * @param <T> the object type
 */
final class KubernetesReleaseWatch<T extends HasMetadata> implements Watcher<T> {

	static final long FIRST_RETRY_MILLIS = 100;

	static final long MAX_RETRY_MILLIS = 30_000;

	private static final Logger logger = LoggerFactory.getLogger(KubernetesReleaseWatch.class);

	private final String kind;

	private final Function<Watcher<T>, Watch> starter;

	private final ReleaseSignals signals;

	private final ToIntFunction<HasMetadata> leaseCount;

	/** Lease count per object name, as of the last event seen. */
	private final ConcurrentHashMap<String, Integer> lastCounts = new ConcurrentHashMap<>();

	private final ScheduledExecutorService retries;

	private volatile @Nullable Watch watch;

	private volatile boolean closed;

	/** Failed starts in a row (guarded by this). */
	private int failures;

	KubernetesReleaseWatch(String kind, Function<Watcher<T>, Watch> starter, ReleaseSignals signals,
			ToIntFunction<HasMetadata> leaseCount) {
		this.kind = kind;
		this.starter = starter;
		this.signals = signals;
		this.leaseCount = leaseCount;
		this.retries = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "locksmith-kubernetes-watch");
			thread.setDaemon(true);
			return thread;
		});
		start();
	}

	private synchronized void start() {
		if (this.closed) {
			return;
		}
		try {
			this.watch = this.starter.apply(this);
			this.failures = 0;
		}
		catch (RuntimeException ex) {
			long delay = retryDelayMillis(this.failures++, ThreadLocalRandom.current().nextDouble());
			// waiters still retry at the blocking lease's expiry; the next provider call surfaces the outage
			logger.warn("Could not start the watch on {} objects; waiters fall back to expiry hints; retrying in {}",
					this.kind, Duration.ofMillis(delay), ex);
			try {
				this.retries.schedule(this::start, delay, TimeUnit.MILLISECONDS);
			}
			catch (RejectedExecutionException closed) {
				// closed meanwhile
			}
			return;
		}
		this.signals.signalAll();
	}

	/**
	 * The delay before retry number {@code failures + 1}: {@value #FIRST_RETRY_MILLIS} ms doubled per failure, at
	 * most {@value #MAX_RETRY_MILLIS} ms, of which the last quarter is jitter.
	 * @param failures the failed starts so far (0 after the first)
	 * @param random a number in [0, 1)
	 * @return the delay in milliseconds
	 */
	static long retryDelayMillis(int failures, double random) {
		long base = FIRST_RETRY_MILLIS << Math.min(failures, 20);
		long capped = Math.min(base, MAX_RETRY_MILLIS);
		return capped - (long) (capped / 4 * random);
	}

	@Override
	public void eventReceived(Action action, T object) {
		String key = KubernetesLockProvider.annotation(object, KubernetesLockProvider.KEY_ANNOTATION);
		String name = object.getMetadata().getName();
		if (key == null || name == null) {
			return;
		}
		if (action == Action.DELETED) {
			this.lastCounts.remove(name);
			this.signals.signal(key);
			return;
		}
		int count = this.leaseCount.applyAsInt(object);
		Integer previous = this.lastCounts.put(name, count);
		if (previous == null || count < previous) {
			this.signals.signal(key);
		}
	}

	@Override
	public void onClose(WatcherException cause) {
		if (!this.closed) {
			logger.info("The watch on {} objects closed ({}); starting it again", this.kind, cause.getMessage());
			this.lastCounts.clear();
			try {
				this.retries.execute(this::start);
			}
			catch (RejectedExecutionException ex) {
				// closed meanwhile
			}
		}
	}

	void close() {
		synchronized (this) {
			this.closed = true;
		}
		this.retries.shutdownNow();
		Watch current = this.watch;
		if (current != null) {
			current.close();
		}
	}

}
