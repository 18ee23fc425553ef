package dev.locksmith.tck;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;

/**
 * A provider that passes every call, the {@link LockProvider} interface's default methods included, to a
 * real provider. Subclasses override only the calls they count, delay, lose or fail, and may call the
 * delegate directly. Every method of the SPI is forwarded here, so a new SPI method is a compile error in
 * this class until it is forwarded too, and never silently answered by the interface's default in a test.
 */
public abstract class ForwardingLockProvider implements LockProvider {

	/** The provider every call goes to. */
	protected final LockProvider delegate;

	/**
	 * Wraps {@code delegate}.
	 * @param delegate the real provider
	 */
	protected ForwardingLockProvider(LockProvider delegate) {
		this.delegate = delegate;
	}

	@Override
	public String name() {
		return this.delegate.name();
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		return this.delegate.acquire(request);
	}

	@Override
	public boolean release(LeaseRef lease) {
		return this.delegate.release(lease);
	}

	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		return this.delegate.extend(lease, ttl);
	}

	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		return this.delegate.reducePermits(lease, permits);
	}

	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		return this.delegate.renew(renewals);
	}

	@Override
	public LockInfo inspect(String key) {
		return this.delegate.inspect(key);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		return this.delegate.list(keyPrefix, offset, limit);
	}

	@Override
	public boolean forceRelease(String key) {
		return this.delegate.forceRelease(key);
	}

	@Override
	public boolean notifiesReleases() {
		return this.delegate.notifiesReleases();
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return this.delegate.subscribe(key);
	}

	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		return this.delegate.subscribe(key, type);
	}

	@Override
	public boolean queuesWaiters() {
		return this.delegate.queuesWaiters();
	}

	@Override
	public ReleaseSubscription subscribe(LeaseRequest request) {
		return this.delegate.subscribe(request);
	}

	@Override
	public void setLeaseLossListener(Consumer<LeaseRef> listener) {
		this.delegate.setLeaseLossListener(listener);
	}

	@Override
	public void ping() {
		this.delegate.ping();
	}

	@Override
	public void close() {
		this.delegate.close();
	}

}
