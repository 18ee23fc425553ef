package dev.locksmith.boot.aop;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.Ordered;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;

/**
 * Defers the release of locks taken inside a running transaction until the transaction completes, and
 * lets later calls in the same transaction join them. A lock found lost before the commit fails the commit
 * with a {@link LockLostException}, so that the work done under it rolls back. Loaded only when spring-tx
 * is present.
 */
final class TransactionRelease {

	private static final Log logger = LogFactory.getLog(TransactionRelease.class);

	/** Key of the thread-bound map of locks waiting for the transaction to complete. */
	private static final Object RESOURCE_KEY = new Object();

	private TransactionRelease() {
	}

	static boolean isSynchronizationActive() {
		return TransactionSynchronizationManager.isSynchronizationActive();
	}

	/**
	 * Returns the lock on {@code key} that the running transaction holds until it completes.
	 */
	static @Nullable LockHandle find(String key) {
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			return null;
		}
		HeldLock held = heldLocks().get(key);
		return (held != null) ? held.handle : null;
	}

	/**
	 * Releases {@code held} when the running transaction completes.
	 */
	static void releaseAfterCompletion(String key, HeldLock held) {
		Map<String, HeldLock> locks = heldLocks();
		if (locks.isEmpty() && !TransactionSynchronizationManager.hasResource(RESOURCE_KEY)) {
			TransactionSynchronizationManager.bindResource(RESOURCE_KEY, locks);
			TransactionSynchronizationManager.registerSynchronization(new ReleaseOnCompletion(locks));
		}
		locks.put(key, held);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, HeldLock> heldLocks() {
		Object bound = TransactionSynchronizationManager.getResource(RESOURCE_KEY);
		return (bound != null) ? (Map<String, HeldLock>) bound : new LinkedHashMap<>();
	}

	private static final class ReleaseOnCompletion implements TransactionSynchronization {

		private final Map<String, HeldLock> locks;

		ReleaseOnCompletion(Map<String, HeldLock> locks) {
			this.locks = locks;
		}

		@Override
		public int getOrder() {
			return Ordered.LOWEST_PRECEDENCE;
		}

		@Override
		public void suspend() {
			TransactionSynchronizationManager.unbindResourceIfPossible(RESOURCE_KEY);
		}

		@Override
		public void resume() {
			TransactionSynchronizationManager.bindResource(RESOURCE_KEY, this.locks);
		}

		/**
		 * Fails the commit if a lock the transaction holds was lost (expired or taken over) meanwhile: the
		 * exception makes the transaction manager roll back.
		 */
		@Override
		public void beforeCommit(boolean readOnly) {
			for (HeldLock held : this.locks.values()) {
				if (!held.handle.isValid()) {
					throw held.lostException();
				}
			}
		}

		@Override
		public void afterCompletion(int status) {
			TransactionSynchronizationManager.unbindResourceIfPossible(RESOURCE_KEY);
			for (HeldLock held : this.locks.values()) {
				try {
					LockLostException lost = held.release();
					if (lost != null) {
						logger.warn(lost.getMessage() + " (found when the transaction completed)");
					}
				}
				catch (RuntimeException ex) {
					logger.warn("Could not release lock '" + held.handle.key() + "' after the transaction completed",
							ex);
				}
			}
			this.locks.clear();
		}

	}

}
