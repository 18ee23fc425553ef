package dev.locksmith.boot.actuate;

import java.util.concurrent.atomic.AtomicLong;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import dev.locksmith.LockStatistics;
import dev.locksmith.MutexService;
import dev.locksmith.spi.LockProvider;

/**
 * Health of the lock backend:
 * <ul>
 * <li>{@code DOWN} when the provider does not answer a ping;</li>
 * <li>{@value #DEGRADED_CODE} when it answers, but renewals failed since the previous check and none
 * succeeded (held leases are at risk of running out);</li>
 * <li>{@code UP} otherwise.</li>
 * </ul>
 * Details: provider, owner id, leases held, lost leases and failed renewals since startup.
 */
public class LocksmithHealthIndicator extends AbstractHealthIndicator {

	/** Status code reported while renewals fail. */
	public static final String DEGRADED_CODE = "DEGRADED";

	/** Status reported while renewals fail. */
	public static final Status DEGRADED = new Status(DEGRADED_CODE, "Lease renewals are failing");

	private final MutexService locks;

	private final LockProvider provider;

	private final AtomicLong seenRenewFailed = new AtomicLong();

	private final AtomicLong seenRenewSuccess = new AtomicLong();

	/**
	 * Creates the indicator.
	 * @param locks the lock service
	 * @param provider the backend to ping
	 */
	public LocksmithHealthIndicator(MutexService locks, LockProvider provider) {
		super("Lock provider health check failed");
		this.locks = locks;
		this.provider = provider;
		LockStatistics statistics = locks.statistics();
		this.seenRenewFailed.set(statistics.renewFailed());
		this.seenRenewSuccess.set(statistics.renewSuccess());
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		builder.withDetail("provider", this.provider.name()).withDetail("owner", this.locks.ownerId());
		this.provider.ping();
		LockStatistics statistics = this.locks.statistics();
		boolean newFailures = statistics.renewFailed() > this.seenRenewFailed.getAndSet(statistics.renewFailed());
		boolean newSuccesses = statistics.renewSuccess() > this.seenRenewSuccess.getAndSet(statistics.renewSuccess());
		builder.status((newFailures && !newSuccesses) ? DEGRADED : Status.UP)
			.withDetail("active", statistics.active())
			.withDetail("lost", statistics.lost())
			.withDetail("renewFailed", statistics.renewFailed());
	}

}
