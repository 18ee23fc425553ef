package dev.locksmith.faults;

import java.util.Random;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.ForwardingLockProvider;

/**
 * A deliberately broken provider around a real one, to show that the checker catches a broken backend on
 * a real run: when a write/mutex lease is denied, it sometimes takes the key anyway (force-releasing the
 * holder and granting again), and in {@code steal-same-token} mode hands out the stolen lease's token.
 */
final class BrokenProvider extends ForwardingLockProvider {

	private final boolean reuseToken;

	private final Random random;

	/**
	 * Wraps a provider.
	 * @param delegate the real provider
	 * @param mode {@code steal} or {@code steal-same-token}
	 * @param seed the seed deciding which denials it overrides
	 */
	BrokenProvider(LockProvider delegate, String mode, long seed) {
		super(delegate);
		if (!mode.equals("steal") && !mode.equals("steal-same-token")) {
			throw new IllegalArgumentException("BrokenProvider mode must be steal or steal-same-token, was " + mode);
		}
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

}
