package dev.locksmith.boot.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.LocksEndpoint;
import dev.locksmith.leader.LeaderElection;

/**
 * Auto-configuration of the {@code locks} actuator endpoint. Read-only by default; its force-release
 * (delete) operation follows Boot's endpoint access model ({@code management.endpoint.locks.access=unrestricted}).
 */
@AutoConfiguration(after = LocksmithAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(MutexService.class)
@ConditionalOnAvailableEndpoint(LocksEndpoint.class)
public final class LocksEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LocksEndpoint locksEndpoint(MutexService locks, ObjectProvider<LeaderElection> elections) {
		return new LocksEndpoint(locks, elections.orderedStream().toList());
	}

}
