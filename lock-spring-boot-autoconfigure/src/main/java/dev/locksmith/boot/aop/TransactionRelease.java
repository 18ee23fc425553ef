package dev.locksmith.boot.aop;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.Ordered;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.locksmith.LockLostException;

/**
 * Defers the release of a lock taken inside a running transaction until the transaction completes.
 * Loaded only when spring-tx is present.
 */
final class TransactionRelease {

	private static final Log logger = LogFactory.getLog(TransactionRelease.class);

	private TransactionRelease() {
	}

	static boolean isSynchronizationActive() {
		return TransactionSynchronizationManager.isSynchronizationActive();
	}

	static void releaseAfterCompletion(HeldLock held) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public int getOrder() {
				return Ordered.LOWEST_PRECEDENCE;
			}

			@Override
			public void afterCompletion(int status) {
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

		});
	}

}
