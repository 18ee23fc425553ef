package dev.locksmith.boot.autoconfigure;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * An unknown {@code locksmith.provider} fails startup with Boot's failure analysis listing the valid values,
 * and every value it lists is a provider Locksmith ships (lock-core, and lock-kubernetes for KUBERNETES).
 */
@ExtendWith(OutputCaptureExtension.class)
class UnknownProviderTests {

	@Test
	void unknownProviderFailsStartupListingTheProviders(CapturedOutput output) {
		SpringApplication application = new SpringApplication(Application.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--locksmith.provider=zookeeper"));
		assertThat(output).contains("locksmith.provider").contains("zookeeper");
		assertThat(output).contains("MEMORY", "REDIS", "JDBC", "ETCD", "KUBERNETES");
	}

	@Test
	void everyListedProviderExists() {
		assertThat(Arrays.stream(LocksmithProperties.Provider.values()).map(Enum::name))
			.containsExactly("MEMORY", "REDIS", "JDBC", "ETCD", "KUBERNETES");
		assertThat(ClassUtils.isPresent("dev.locksmith.provider.memory.MemoryLockProvider", null)).isTrue();
		assertThat(ClassUtils.isPresent("dev.locksmith.provider.redis.RedisLockProvider", null)).isTrue();
		assertThat(ClassUtils.isPresent("dev.locksmith.provider.jdbc.JdbcLockProvider", null)).isTrue();
		assertThat(ClassUtils.isPresent("dev.locksmith.provider.etcd.EtcdLockProvider", null)).isTrue();
		assertThat(ClassUtils.isPresent("dev.locksmith.provider.kubernetes.KubernetesLockProvider", null)).isTrue();
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(LocksmithAutoConfiguration.class)
	static class Application {

	}

}
