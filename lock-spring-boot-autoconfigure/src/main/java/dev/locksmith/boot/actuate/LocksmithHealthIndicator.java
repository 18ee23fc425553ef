package dev.locksmith.boot.actuate;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.locksmith.LockStatistics;
import dev.locksmith.MutexService;
import dev.locksmith.spi.LockProvider;

/**
 * Health of the lock backend: {@code UP} when the provider answers a ping, {@code DOWN} when it does not.
 * Details: provider, owner id, leases held, lost leases and failed renewals since startup.
 */
public class LocksmithHealthIndicator extends AbstractHealthIndicator {

	private final MutexService locks;

	private final LockProvider provider;

	/**
	 * Creates the indicator.
	 * @param locks the lock service
	 * @param provider the backend to ping
	 */
	public LocksmithHealthIndicator(MutexService locks, LockProvider provider) {
		super("Lock provider health check failed");
		this.locks = locks;
		this.provider = provider;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		builder.withDetail("provider", this.provider.name()).withDetail("owner", this.locks.ownerId());
		this.provider.ping();
		LockStatistics statistics = this.locks.statistics();
		builder.up()
			.withDetail("active", statistics.active())
			.withDetail("lost", statistics.lost())
			.withDetail("renewFailed", statistics.renewFailed());
	}

}
