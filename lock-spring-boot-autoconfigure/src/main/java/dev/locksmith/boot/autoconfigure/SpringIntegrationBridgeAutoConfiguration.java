package dev.locksmith.boot.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.support.locks.LockRegistry;

import dev.locksmith.MutexService;
import dev.locksmith.boot.integration.LocksmithLockRegistry;

/**
 * Auto-configuration of Spring Integration's {@code LockRegistry} on the application's lock service, when
 * Spring Integration is on the class path and the application defines no {@code LockRegistry} of its own.
 */
@AutoConfiguration(after = LocksmithAutoConfiguration.class)
@ConditionalOnClass(LockRegistry.class)
@ConditionalOnBean(MutexService.class)
public final class SpringIntegrationBridgeAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LockRegistry.class)
	LocksmithLockRegistry locksmithLockRegistry(MutexService locks) {
		return new LocksmithLockRegistry(locks);
	}

}
