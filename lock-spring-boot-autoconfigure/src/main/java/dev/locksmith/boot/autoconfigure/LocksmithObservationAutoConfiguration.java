package dev.locksmith.boot.autoconfigure;

import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.locksmith.LockObserver;
import dev.locksmith.boot.observation.LockObservationConvention;
import dev.locksmith.boot.observation.ObservationLockObserver;

/**
 * Auto-configuration of the engine's observations ({@link ObservationLockObserver}) when the application has
 * an {@link ObservationRegistry}: every acquisition and hold, from {@code MutexService} or an annotation, is
 * observed once. The lock timers then come from these observations, and the listener meters
 * ({@link LocksmithMetricsAutoConfiguration}) keep only the counters and the gauge. A
 * {@link LockObservationConvention} bean replaces the default convention; a {@link LockObserver} bean
 * replaces the observer.
 */
@AutoConfiguration(before = LocksmithAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean(ObservationRegistry.class)
public final class LocksmithObservationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LockObserver.class)
	ObservationLockObserver locksmithLockObserver(ObservationRegistry observationRegistry,
			ObjectProvider<LockObservationConvention> convention) {
		return new ObservationLockObserver(observationRegistry, convention.getIfUnique());
	}

}
