package dev.locksmith.engine;

import java.util.Objects;
import java.util.Optional;

import dev.locksmith.DistributedReadWriteLock;
import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.LockedCallable;

/**
 * A read-write lock: READ and WRITE leases on one key.
 */
final class EngineReadWriteLock implements DistributedReadWriteLock {

	private final LockEngine engine;

	private final String name;

	EngineReadWriteLock(LockEngine engine, String name) {
		this.engine = engine;
		this.name = name;
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public LockHandle read() {
		return read(LockOptions.defaults());
	}

	@Override
	public LockHandle read(LockOptions options) {
		return Objects.requireNonNull(take("read", LeaseType.READ, options, true));
	}

	@Override
	public Optional<LockHandle> tryRead(LockOptions options) {
		return Optional.ofNullable(take("tryRead", LeaseType.READ, options, false));
	}

	@Override
	public LockHandle write() {
		return write(LockOptions.defaults());
	}

	@Override
	public LockHandle write(LockOptions options) {
		return Objects.requireNonNull(take("write", LeaseType.WRITE, options, true));
	}

	@Override
	public Optional<LockHandle> tryWrite(LockOptions options) {
		return Optional.ofNullable(take("tryWrite", LeaseType.WRITE, options, false));
	}

	@Override
	public <T, E extends Exception> T withReadLock(LockedCallable<T, E> action) throws E {
		return LockEngine.callHolding(read(), action);
	}

	@Override
	public <T, E extends Exception> T withWriteLock(LockedCallable<T, E> action) throws E {
		return LockEngine.callHolding(write(), action);
	}

	private LockHandle take(String method, LeaseType type, LockOptions options, boolean throwIfNotAcquired) {
		return this.engine.acquireTracked("readWrite(" + this.name + ")." + method, this.name, type, 1, 1, options,
				throwIfNotAcquired);
	}

	@Override
	public String toString() {
		return "DistributedReadWriteLock[" + this.name + "]";
	}

}
