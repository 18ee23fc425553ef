package dev.locksmith.tck;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.Renewal;

/**
 * Wraps a real provider, counts the calls the engine makes, and can make the backend look unreachable
 * (every call throws {@link LockProviderUnavailableException}) to test failure handling. Not a mock:
 * every call that is not failed goes to the real backend, including the waiter queue of a provider that
 * {@linkplain LockProvider#queuesWaiters() queues waiters}, so the contract kit runs the queued path too.
 */
public final class CountingLockProvider extends ForwardingLockProvider {

	/** Calls to {@link #acquire}. */
	public final AtomicInteger acquires = new AtomicInteger();

	/** Calls to {@link #renew}. */
	public final AtomicInteger renewCalls = new AtomicInteger();

	/** Calls to {@link #release}. */
	public final AtomicInteger releases = new AtomicInteger();

	private final AtomicReference<String> outage = new AtomicReference<>();

	/**
	 * Wraps {@code delegate}.
	 * @param delegate the real provider
	 */
	public CountingLockProvider(LockProvider delegate) {
		super(delegate);
	}

	/**
	 * Makes every following call fail as if the backend were down, until {@link #recover()}.
	 * @param reason the message of the failures
	 */
	public void failWith(String reason) {
		this.outage.set(reason);
	}

	/**
	 * Ends a simulated outage.
	 */
	public void recover() {
		this.outage.set(null);
	}

	private void check(String key) {
		String reason = this.outage.get();
		if (reason != null) {
			throw new LockProviderUnavailableException(key, reason, null);
		}
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		this.acquires.incrementAndGet();
		check(request.key());
		return this.delegate.acquire(request);
	}

	@Override
	public boolean release(LeaseRef lease) {
		this.releases.incrementAndGet();
		check(lease.key());
		return this.delegate.release(lease);
	}

	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		check(lease.key());
		return this.delegate.extend(lease, ttl);
	}

	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		check(lease.key());
		return this.delegate.reducePermits(lease, permits);
	}

	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		this.renewCalls.incrementAndGet();
		check("renew");
		return this.delegate.renew(renewals);
	}

	@Override
	public LockInfo inspect(String key) {
		check(key);
		return this.delegate.inspect(key);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		check(keyPrefix);
		return this.delegate.list(keyPrefix, offset, limit);
	}

	@Override
	public boolean forceRelease(String key) {
		check(key);
		return this.delegate.forceRelease(key);
	}

	@Override
	public void ping() {
		check("ping");
		this.delegate.ping();
	}

}
