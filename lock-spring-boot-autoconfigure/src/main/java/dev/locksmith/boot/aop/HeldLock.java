package dev.locksmith.boot.aop;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.ReleaseOutcome;

/**
 * A lock the advice holds for one call.
 */
final class HeldLock {

	final LockHandle handle;

	private final String description;

	HeldLock(LockHandle handle, String description) {
		this.handle = handle;
		this.description = description;
	}

	/**
	 * Releases the lock.
	 * @return the exception to report if the lease had been lost, else {@code null}
	 * @throws dev.locksmith.LockProviderUnavailableException if the backend cannot be reached
	 */
	@Nullable LockLostException release() {
		return (this.handle.release() == ReleaseOutcome.LOST) ? lostException() : null;
	}

	/**
	 * Releases the lock, adding any loss or release failure to {@code failure} as suppressed.
	 */
	void releaseAfter(Throwable failure) {
		try {
			LockLostException lost = release();
			if (lost != null) {
				failure.addSuppressed(lost);
			}
		}
		catch (RuntimeException ex) {
			failure.addSuppressed(ex);
		}
	}

	/**
	 * Releases the lock when nobody is left to report a loss to (a cancelled subscription).
	 */
	void releaseQuietly() {
		try {
			release();
		}
		catch (RuntimeException ex) {
			// the lease expires by its TTL
		}
	}

	LockLostException lostException() {
		return new LockLostException(this.handle.key(), "Lock '" + this.handle.key() + "' (fencing token "
				+ this.handle.fencingToken() + ") was lost while " + this.description + " ran");
	}

}
