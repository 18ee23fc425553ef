package dev.locksmith.boot.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.locksmith.LockClock;
import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.LocksmithHealthIndicator;
import dev.locksmith.boot.actuate.RenewalOutcomes;
import dev.locksmith.spi.LockProvider;

/**
 * Auto-configuration of the lock provider's health indicator ({@code management.health.locksmith.enabled}).
 * Renewal failures count for one renewal interval of the default TTL ({@code locksmith.default-ttl} / 3);
 * the {@link RenewalOutcomes} listener is attached to the auto-configured engine like any
 * {@code LockListener} bean.
 */
@AutoConfiguration(after = LocksmithAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean({ MutexService.class, LockProvider.class })
@ConditionalOnEnabledHealthIndicator("locksmith")
public final class LocksmithHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	RenewalOutcomes locksmithRenewalOutcomes() {
		return new RenewalOutcomes(LockClock.system());
	}

	@Bean
	@ConditionalOnMissingBean(name = "locksmithHealthIndicator")
	LocksmithHealthIndicator locksmithHealthIndicator(MutexService locks, LockProvider provider,
			RenewalOutcomes locksmithRenewalOutcomes, LocksmithProperties properties) {
		return new LocksmithHealthIndicator(locks, provider, locksmithRenewalOutcomes,
				properties.getDefaultTtl().dividedBy(3));
	}

}
