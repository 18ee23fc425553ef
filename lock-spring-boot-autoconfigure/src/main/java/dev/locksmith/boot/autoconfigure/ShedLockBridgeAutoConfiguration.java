package dev.locksmith.boot.autoconfigure;

import net.javacrumbs.shedlock.core.LockProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.locksmith.MutexService;
import dev.locksmith.boot.shedlock.LocksmithShedLockProvider;

/**
 * Auto-configuration of ShedLock's {@code LockProvider} on the application's lock service, when ShedLock is
 * on the class path and the application defines no {@code LockProvider} of its own.
 */
@AutoConfiguration(after = LocksmithAutoConfiguration.class)
@ConditionalOnClass(LockProvider.class)
@ConditionalOnBean(MutexService.class)
public final class ShedLockBridgeAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LockProvider.class)
	LocksmithShedLockProvider locksmithShedLockProvider(MutexService locks) {
		return new LocksmithShedLockProvider(locks);
	}

}
