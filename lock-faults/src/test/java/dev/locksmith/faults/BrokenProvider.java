package dev.locksmith.faults;

import java.time.Duration;
import java.util.List;
import java.util.Random;
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
 * A deliberately broken provider around a real one, to show that the checker catches a broken backend on
 * a real run: when a write/mutex lease is denied, it sometimes takes the key anyway (force-releasing the
 * holder and granting again), and in {@code steal-same-token} mode hands out the stolen lease's token.
 */
final class BrokenProvider implements LockProvider {

	private final LockProvider delegate;

	private final boolean reuseToken;

	private final Random random;

	/**
	 * Wraps a provider.
	 * @param delegate the real provider
	 * @param mode {@code steal} or {@code steal-same-token}
	 * @param seed the seed deciding which denials it overrides
	 */
	BrokenProvider(LockProvider delegate, String mode, long seed) {
		if (!mode.equals("steal") && !mode.equals("steal-same-token")) {
			throw new IllegalArgumentException("BrokenProvider mode must be steal or steal-same-token, was " + mode);
		}
		this.delegate = delegate;
		this.reuseToken = mode.equals("steal-same-token");
		this.random = new Random(seed);
	}

	@Override
	public String name() {
		return "broken-" + this.delegate.name();
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		Grant grant = this.delegate.acquire(request);
		if (grant.isGranted() || request.type() != LeaseType.WRITE || !steal()) {
			return grant;
		}
		Long stolenToken = this.delegate.inspect(request.key()).fencingToken();
		this.delegate.forceRelease(request.key());
		Grant stolen = this.delegate.acquire(request);
		if (stolen.isGranted() && this.reuseToken && stolenToken != null) {
			return Grant.granted(stolenToken);
		}
		return stolen;
	}

	private synchronized boolean steal() {
		return this.random.nextInt(4) == 0;
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
