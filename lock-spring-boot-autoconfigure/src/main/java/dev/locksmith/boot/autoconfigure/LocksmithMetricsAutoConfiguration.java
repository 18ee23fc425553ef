package dev.locksmith.boot.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.locksmith.boot.metrics.LockMetricNames;
import dev.locksmith.boot.metrics.MicrometerLockListener;
import dev.locksmith.boot.observation.ObservationLockObserver;

/**
 * Auto-configuration of Locksmith's Micrometer meters ({@link LockMetricNames}) when the application has
 * a {@link MeterRegistry}. The acquire and hold timers come from exactly one path: from the engine's
 * observations when {@link LocksmithObservationAutoConfiguration} set them up, else from this listener.
 */
@AutoConfiguration(before = LocksmithAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public final class LocksmithMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	MicrometerLockListener micrometerLockListener(MeterRegistry meterRegistry,
			ObjectProvider<ObservationLockObserver> observations) {
		return new MicrometerLockListener(meterRegistry, observations.getIfAvailable() == null);
	}

}
