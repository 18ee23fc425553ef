package dev.locksmith.engine;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LockHandle;
import dev.locksmith.LockObserver;

/**
 * Wraps the application's {@link LockObserver} so that whatever it throws is logged and ignored: an
 * instrumentation failure never fails an acquisition or a release, and never leaves a lease held.
 */
final class GuardedObserver {

	private static final Logger logger = LoggerFactory.getLogger(GuardedObserver.class);

	private final LockObserver observer;

	GuardedObserver(LockObserver observer) {
		this.observer = observer;
	}

	LockObserver.Acquisition acquiring(LockObserver.Request request) {
		if (this.observer == LockObserver.NONE) {
			return LockObserver.Acquisition.NONE;
		}
		try {
			LockObserver.Acquisition acquisition = this.observer.acquiring(request);
			return (acquisition != null) ? new GuardedAcquisition(acquisition) : LockObserver.Acquisition.NONE;
		}
		catch (RuntimeException ex) {
			logger.warn("Lock observer {} failed to start an acquisition", this.observer, ex);
			return LockObserver.Acquisition.NONE;
		}
	}

	private record GuardedAcquisition(LockObserver.Acquisition acquisition) implements LockObserver.Acquisition {

		@Override
		public LockObserver.Hold acquired(LockHandle handle) {
			try {
				LockObserver.Hold hold = this.acquisition.acquired(handle);
				return (hold != null) ? new GuardedHold(hold) : LockObserver.Hold.NONE;
			}
			catch (RuntimeException ex) {
				logger.warn("Lock observer failed on a grant", ex);
				return LockObserver.Hold.NONE;
			}
		}

		@Override
		public void failed(@Nullable Throwable error) {
			try {
				this.acquisition.failed(error);
			}
			catch (RuntimeException ex) {
				logger.warn("Lock observer failed on a failed acquisition", ex);
			}
		}

	}

	private record GuardedHold(LockObserver.Hold hold) implements LockObserver.Hold {

		@Override
		public LockObserver.Scope openScope() {
			try {
				LockObserver.Scope scope = this.hold.openScope();
				return (scope != null) ? new GuardedScope(scope) : LockObserver.Scope.NONE;
			}
			catch (RuntimeException ex) {
				logger.warn("Lock observer failed to open a scope", ex);
				return LockObserver.Scope.NONE;
			}
		}

		@Override
		public void ended(@Nullable Throwable error) {
			try {
				this.hold.ended(error);
			}
			catch (RuntimeException ex) {
				logger.warn("Lock observer failed when a hold ended", ex);
			}
		}

	}

	private record GuardedScope(LockObserver.Scope scope) implements LockObserver.Scope {

		@Override
		public void close() {
			try {
				this.scope.close();
			}
			catch (RuntimeException ex) {
				logger.warn("Lock observer failed to close a scope", ex);
			}
		}

	}

}
