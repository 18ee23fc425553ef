package dev.locksmith.boot.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.LocksmithHealthIndicator;
import dev.locksmith.spi.LockProvider;

/**
 * Auto-configuration of the lock provider's health indicator ({@code management.health.locksmith.enabled}).
 */
@AutoConfiguration(after = LocksmithAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean({ MutexService.class, LockProvider.class })
@ConditionalOnEnabledHealthIndicator("locksmith")
public final class LocksmithHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "locksmithHealthIndicator")
	LocksmithHealthIndicator locksmithHealthIndicator(MutexService locks, LockProvider provider) {
		return new LocksmithHealthIndicator(locks, provider);
	}

}
