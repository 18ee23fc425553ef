package dev.locksmith.boot.autoconfigure;

import java.util.Optional;

import net.javacrumbs.shedlock.core.LockProvider;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.integration.support.locks.DefaultLockRegistry;
import org.springframework.integration.support.locks.LockRegistry;

import dev.locksmith.boot.integration.LocksmithLockRegistry;
import dev.locksmith.boot.shedlock.LocksmithShedLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Spring Integration and ShedLock bridges are configured when their library is present and the
 * application has no registry or provider of its own.
 */
class BridgeAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class,
				SpringIntegrationBridgeAutoConfiguration.class, ShedLockBridgeAutoConfiguration.class));

	@Test
	void bothBridgesRunOnTheLockService() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(LocksmithLockRegistry.class).hasSingleBean(LocksmithShedLockProvider.class);
			assertThat(context.getBean(LockRegistry.class).obtain("x").tryLock()).isTrue();
		});
	}

	@Test
	void applicationBeansWin() {
		this.contextRunner.withBean(LockRegistry.class, DefaultLockRegistry::new)
			.withBean(LockProvider.class, () -> (configuration) -> Optional.empty())
			.run((context) -> assertThat(context).doesNotHaveBean(LocksmithLockRegistry.class)
				.doesNotHaveBean(LocksmithShedLockProvider.class));
	}

	@Test
	void absentLibrariesMeanNoBridges() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(LockRegistry.class, LockProvider.class))
			.run((context) -> assertThat(context).doesNotHaveBean(LocksmithLockRegistry.class)
				.doesNotHaveBean(LocksmithShedLockProvider.class));
	}

}
