package dev.locksmith.provider.etcd;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.provider.support.ReleaseSignals;

/**
 * The provider's one watch on its namespace (deletions only, with the previous value): a deleted lease
 * key wakes that lock's waiters and tells the provider which lease id went away. When the watch fails
 * (for example the revision it resumes from was compacted), every waiter is woken and the watch starts
 * again from the current revision.
 */
final class EtcdReleaseWatch implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(EtcdReleaseWatch.class);

	private final Watch watchClient;

	private final EtcdKeys keys;

	private final ReleaseSignals signals;

	private final Consumer<String> deletedLease;

	private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor((runnable) -> {
		Thread thread = new Thread(runnable, "locksmith-etcd-watch");
		thread.setDaemon(true);
		return thread;
	});

	private Watch.@Nullable Watcher watcher;

	private boolean closed;

	EtcdReleaseWatch(Client client, EtcdKeys keys, ReleaseSignals signals, Consumer<String> deletedLease) {
		this.watchClient = client.getWatchClient();
		this.keys = keys;
		this.signals = signals;
		this.deletedLease = deletedLease;
	}

	/**
	 * Starts watching after {@code revision} (0: from now).
	 * @param revision the last revision already seen
	 */
	synchronized void start(long revision) {
		if (this.closed) {
			return;
		}
		WatchOption.Builder option = WatchOption.builder()
			.isPrefix(true)
			.withNoPut(true)
			.withPrevKV(true);
		if (revision > 0) {
			option.withRevision(revision + 1);
		}
		this.watcher = this.watchClient.watch(EtcdKeys.bytes(this.keys.namespace()), option.build(),
				Watch.listener(this::onResponse, this::onError));
	}

	/**
	 * Restarts the watch after {@code revision} (after a wiped data set, whose revisions restarted) and
	 * wakes every waiter.
	 * @param revision the current revision
	 */
	synchronized void restart(long revision) {
		if (this.watcher != null) {
			this.watcher.close();
		}
		start(revision);
		this.signals.signalAll();
	}

	private void onResponse(WatchResponse response) {
		for (WatchEvent event : response.getEvents()) {
			if (event.getEventType() != WatchEvent.EventType.DELETE) {
				continue;
			}
			EtcdKeys.Parsed parsed = this.keys.parse(event.getKeyValue().getKey());
			if (parsed == null) {
				continue;
			}
			this.signals.signal(parsed.lockKey());
			KeyValue previous = event.getPrevKV();
			if (previous != null && !previous.getValue().isEmpty()) {
				try {
					this.deletedLease.accept(LeaseRecord.decode(previous.getValue().getBytes()).leaseId());
				}
				catch (IllegalStateException ex) {
					logger.debug("Ignoring a foreign value at {}", parsed.lockKey());
				}
			}
		}
	}

	private void onError(Throwable error) {
		logger.warn("etcd release watch failed, restarting it: {}", error.toString());
		this.signals.signalAll();
		synchronized (this) {
			if (this.closed) {
				return;
			}
		}
		this.retry.schedule(() -> restart(0), 200, TimeUnit.MILLISECONDS);
	}

	@Override
	public synchronized void close() {
		this.closed = true;
		if (this.watcher != null) {
			this.watcher.close();
		}
		this.retry.shutdownNow();
	}

}
