package dev.locksmith.boot.aop;

import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;

import dev.locksmith.LockContext;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;

/**
 * Fails the commit of a transaction that began inside a locked call (for example {@code @Transactional}
 * and {@code @DistributedLock} on one method, where the lock is taken first) if that lock was lost
 * meanwhile: the {@link LockLostException} makes the transaction manager roll back, so work done under
 * a lost lock is not committed. Checks every lock bound to the thread ({@link LockContext#all()}), outer
 * ones included.
 *
 * <p>Boot applies {@link TransactionExecutionListener} beans to the transaction managers it
 * auto-configures; add it to your own with {@code addListener}. Locks taken inside an already running
 * transaction are checked by the transaction's own synchronization instead.
 */
public final class LockLostTransactionListener implements TransactionExecutionListener {

	/**
	 * Throws if the lock held around this transaction is no longer valid.
	 * @param transaction the transaction about to commit
	 * @throws LockLostException if the lock was lost
	 */
	@Override
	public void beforeCommit(TransactionExecution transaction) {
		// the transaction ran under every lock of the call chain, not only the innermost one
		for (LockHandle handle : LockContext.all()) {
			if (!handle.isValid()) {
				throw new LockLostException(handle.key(), "Lock '" + handle.key() + "' (fencing token "
						+ handle.fencingToken() + ") was lost before transaction '" + transaction.getTransactionName()
						+ "' committed; the transaction is rolled back");
			}
		}
	}

}
