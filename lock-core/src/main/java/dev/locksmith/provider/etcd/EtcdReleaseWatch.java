package dev.locksmith.provider.etcd;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
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
 * (etcd restarted, the connection broke) it starts again right after the last revision it saw, so a
 * deletion made while it was down is still delivered; every waiter is woken once more after the new
 * watch is in place. If that revision was compacted, it resumes at the compaction revision: the
 * deletions before it are gone, and that last wake-up makes every waiter read the lock again.
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

	/** Counts started watches; a callback of an older (closed) watch must not move {@link #lastSeen}. */
	private long generation;

	/** The highest revision whose deletions were delivered (0: unknown, resume from now). */
	private long lastSeen;

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
		this.lastSeen = revision;
		long started = ++this.generation;
		WatchOption.Builder option = WatchOption.builder()
			.isPrefix(true)
			.withNoPut(true)
			.withPrevKV(true);
		if (revision > 0) {
			option.withRevision(revision + 1);
		}
		this.watcher = this.watchClient.watch(EtcdKeys.bytes(this.keys.namespace()), option.build(),
				Watch.listener((response) -> onResponse(started, response), (error) -> onError(started, error)));
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

	private void onResponse(long started, WatchResponse response) {
		for (WatchEvent event : response.getEvents()) {
			if (event.getEventType() != WatchEvent.EventType.DELETE) {
				continue;
			}
			seen(started, event.getKeyValue().getModRevision());
			String pulsed = this.keys.pulsedLockKey(event.getKeyValue().getKey());
			if (pulsed != null) {
				this.signals.signal(pulsed); // permits were freed by a partial release
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

	/** Notes a delivered deletion's revision, unless it came from an older watch. */
	private synchronized void seen(long started, long revision) {
		if (started == this.generation) {
			this.lastSeen = Math.max(this.lastSeen, revision);
		}
	}

	private void onError(long started, Throwable error) {
		logger.warn("etcd release watch failed, resuming it: {}", error.toString());
		this.signals.signalAll();
		synchronized (this) {
			if (this.closed || started != this.generation) {
				return;
			}
			if (error instanceof CompactedException compacted) {
				// the deletions before the compaction revision are gone: resume there (the wake-up covers them)
				this.lastSeen = Math.max(this.lastSeen, compacted.getCompactedRevision() - 1);
			}
		}
		this.retry.schedule(() -> resume(started), 200, TimeUnit.MILLISECONDS);
	}

	/**
	 * Replaces the failed watch {@code started} by one after the last revision seen, then wakes every
	 * waiter: a waiter then reads the lock at a revision the new watch covers from, so no release falls
	 * between its read and the watch.
	 */
	private void resume(long started) {
		synchronized (this) {
			if (this.closed || started != this.generation) {
				return;
			}
			if (this.watcher != null) {
				this.watcher.close();
			}
			start(this.lastSeen);
		}
		this.signals.signalAll();
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
