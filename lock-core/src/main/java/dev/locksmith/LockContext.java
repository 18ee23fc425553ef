package dev.locksmith;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The locks held in the current call chain (by {@code @DistributedLock} methods of the Spring Boot starter,
 * or bound with {@link #bind}), for code deeper in the call (a repository that needs the fencing token, an
 * assertion that a lock is held). Backed by a thread-local stack that the advice pushes before the method
 * runs and pops when it returns, so it is visible on the thread that runs the method (not in work it hands
 * to other threads).
 *
 * <pre>{@code
 * long token = LockContext.currentToken();
 * LockContext.current().ifPresent((lock) -> log.info("holding {}", lock.key()));
 * }</pre>
 *
 * Code that uses {@link MutexService} directly may {@link #bind} its own handles.
 */
public final class LockContext {

	private static final ThreadLocal<@Nullable Frame> CURRENT = new ThreadLocal<>();

	private LockContext() {
	}

	/**
	 * Returns the innermost lock held in this call chain.
	 * @return the handle, or empty if no lock is bound on this thread
	 */
	public static Optional<LockHandle> current() {
		Frame frame = CURRENT.get();
		return (frame != null) ? Optional.of(frame.handle) : Optional.empty();
	}

	/**
	 * Returns the fencing token of the innermost lock held in this call chain.
	 * @return the fencing token
	 * @throws IllegalStateException if no lock is bound on this thread
	 */
	public static long currentToken() {
		Frame frame = CURRENT.get();
		if (frame == null) {
			throw new IllegalStateException("No lock is held in this call chain: LockContext.currentToken() "
					+ "must be called on the thread running a @DistributedLock method");
		}
		return frame.handle.fencingToken();
	}

	/**
	 * Returns the lock held in this call chain on {@code key}.
	 * @param key the lock key (as the service was given it, without the key prefix)
	 * @return the handle, or empty if the key is not held in this call chain
	 */
	public static Optional<LockHandle> find(String key) {
		for (Frame frame = CURRENT.get(); frame != null; frame = frame.parent) {
			if (frame.key.equals(key)) {
				return Optional.of(frame.handle);
			}
		}
		return Optional.empty();
	}

	/**
	 * Returns every lock held in this call chain, innermost first (a lock joined by a nested call appears
	 * once per call).
	 * @return the handles, empty if no lock is bound on this thread
	 */
	public static List<LockHandle> all() {
		List<LockHandle> handles = new ArrayList<>();
		for (Frame frame = CURRENT.get(); frame != null; frame = frame.parent) {
			handles.add(frame.handle);
		}
		return handles;
	}

	/**
	 * Returns whether any lock is held in this call chain.
	 * @return {@code true} if a lock is bound on this thread
	 */
	public static boolean isHeld() {
		return CURRENT.get() != null;
	}

	/**
	 * Binds {@code handle} as the innermost lock of this thread until the returned scope is closed. Scopes
	 * must be closed in reverse order of binding, on the same thread (use try-with-resources).
	 * @param handle the held lock
	 * @return the scope that restores the previous state when closed
	 */
	public static Scope bind(LockHandle handle) {
		Frame parent = CURRENT.get();
		Frame frame = new Frame(handle.key(), handle, parent);
		CURRENT.set(frame);
		return new Scope(frame);
	}

	/**
	 * A binding made by {@link #bind}; closing it restores the previous innermost lock.
	 */
	public static final class Scope implements AutoCloseable {

		private final Frame frame;

		private Scope(Frame frame) {
			this.frame = frame;
		}

		/**
		 * Restores the state from before the binding. Idempotent.
		 */
		@Override
		public void close() {
			if (CURRENT.get() == this.frame) {
				if (this.frame.parent != null) {
					CURRENT.set(this.frame.parent);
				}
				else {
					CURRENT.remove();
				}
			}
		}

	}

	private record Frame(String key, LockHandle handle, @Nullable Frame parent) {
	}

}
