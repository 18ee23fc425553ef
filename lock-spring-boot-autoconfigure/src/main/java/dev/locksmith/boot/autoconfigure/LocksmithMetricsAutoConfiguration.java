package dev.locksmith.boot.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.locksmith.boot.metrics.LockMetricNames;
import dev.locksmith.boot.metrics.MicrometerLockListener;

/**
 * Auto-configuration of Locksmith's Micrometer meters ({@link LockMetricNames}) when the application has
 * a {@link MeterRegistry}.
 */
@AutoConfiguration(before = LocksmithAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public final class LocksmithMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	MicrometerLockListener micrometerLockListener(MeterRegistry meterRegistry) {
		return new MicrometerLockListener(meterRegistry);
	}

}
