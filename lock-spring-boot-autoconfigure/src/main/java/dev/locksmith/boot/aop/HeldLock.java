package dev.locksmith.boot.aop;

import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.ReleaseOutcome;

/**
 * A lock the advice holds for one call: the handle and its hold observation.
 */
final class HeldLock {

	final LockHandle handle;

	private final Observation hold;

	private final String description;

	HeldLock(LockHandle handle, Observation hold, String description) {
		this.handle = handle;
		this.hold = hold;
		this.description = description;
	}

	Observation observation() {
		return this.hold;
	}

	/**
	 * Releases the lock and ends the hold observation.
	 * @return the exception to report if the lease had been lost, else {@code null}
	 * @throws dev.locksmith.LockProviderUnavailableException if the backend cannot be reached
	 */
	@Nullable LockLostException release() {
		LockLostException lost = null;
		try {
			if (this.handle.release() == ReleaseOutcome.LOST) {
				lost = lostException();
				this.hold.error(lost);
			}
		}
		catch (RuntimeException ex) {
			this.hold.error(ex);
			throw ex;
		}
		finally {
			this.hold.stop();
		}
		return lost;
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
