package dev.locksmith.benchmarks;

import java.util.concurrent.atomic.LongAdder;

import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.ForwardingLockProvider;

/**
 * Passes every call to a provider and counts {@link #acquire} calls (S6's attempts per grant).
 */
final class CountingLockProvider extends ForwardingLockProvider {

	private final LongAdder acquires = new LongAdder();

	CountingLockProvider(LockProvider delegate) {
		super(delegate);
	}

	long acquires() {
		return this.acquires.sum();
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		this.acquires.increment();
		return this.delegate.acquire(request);
	}

}
