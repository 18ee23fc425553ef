package dev.locksmith.boot.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.ForceReleaseLocksEndpoint;
import dev.locksmith.boot.actuate.LocksEndpoint;
import dev.locksmith.leader.LeaderElection;

/**
 * Auto-configuration of the {@code locks} actuator endpoint. Its force-release operation exists only when
 * {@code locksmith.actuator.force-release-enabled=true}.
 */
@AutoConfiguration(after = LocksmithAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(MutexService.class)
@ConditionalOnAvailableEndpoint(LocksEndpoint.class)
public final class LocksEndpointAutoConfiguration {

	private static final String FORCE_RELEASE = "locksmith.actuator.force-release-enabled";

	@Bean
	@ConditionalOnMissingBean(LocksEndpoint.class)
	@ConditionalOnBooleanProperty(name = FORCE_RELEASE, havingValue = false, matchIfMissing = true)
	LocksEndpoint locksEndpoint(MutexService locks, ObjectProvider<LeaderElection> elections) {
		return new LocksEndpoint(locks, elections.orderedStream().toList());
	}

	@Bean
	@ConditionalOnMissingBean(LocksEndpoint.class)
	@ConditionalOnBooleanProperty(name = FORCE_RELEASE)
	ForceReleaseLocksEndpoint forceReleaseLocksEndpoint(MutexService locks, ObjectProvider<LeaderElection> elections) {
		return new ForceReleaseLocksEndpoint(locks, elections.orderedStream().toList());
	}

}
