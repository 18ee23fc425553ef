package dev.locksmith.boot.actuate;

import java.time.Duration;

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
 * <li>{@value #DEGRADED_CODE} when it answers, but renewals failed within the last {@code window} and
 * none succeeded within it (held leases are at risk of running out);</li>
 * <li>{@code UP} otherwise.</li>
 * </ul>
 * The status is a function of the time of the read, not of earlier reads: any number of probes
 * (Kubernetes, Prometheus, an admin UI) see the same answer. Details: provider, owner id, leases held,
 * lost leases and failed renewals since startup.
 */
public class LocksmithHealthIndicator extends AbstractHealthIndicator {

	/** Status code reported while renewals fail. */
	public static final String DEGRADED_CODE = "DEGRADED";

	/** Status reported while renewals fail. */
	public static final Status DEGRADED = new Status(DEGRADED_CODE, "Lease renewals are failing");

	private final MutexService locks;

	private final LockProvider provider;

	private final RenewalOutcomes renewals;

	private final Duration window;

	/**
	 * Creates the indicator.
	 * @param locks the lock service
	 * @param provider the backend to ping
	 * @param renewals the renewal outcomes, registered as a listener of {@code locks}
	 * @param window how far back renewal failures count; positive (for example one renewal interval)
	 * @throws IllegalArgumentException if the window is not positive
	 */
	public LocksmithHealthIndicator(MutexService locks, LockProvider provider, RenewalOutcomes renewals,
			Duration window) {
		super("Lock provider health check failed");
		if (window.isNegative() || window.isZero()) {
			throw new IllegalArgumentException("LocksmithHealthIndicator window must be positive, was " + window);
		}
		this.locks = locks;
		this.provider = provider;
		this.renewals = renewals;
		this.window = window;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		builder.withDetail("provider", this.provider.name()).withDetail("owner", this.locks.ownerId());
		this.provider.ping();
		LockStatistics statistics = this.locks.statistics();
		builder.status(this.renewals.failingWithin(this.window) ? DEGRADED : Status.UP)
			.withDetail("active", statistics.active())
			.withDetail("lost", statistics.lost())
			.withDetail("renewFailed", statistics.renewFailed());
	}

}
