package dev.locksmith.server;

import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.server.grpc.GrpcLockServer;
import dev.locksmith.server.web.LockServiceController;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the lock service is configured, and when it is not.
 */
class LockServerAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LockServerAutoConfiguration.class))
		.withPropertyValues("locksmith.server.grpc.port=0");

	@Test
	void offByDefault() {
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.run((context) -> assertThat(context).doesNotHaveBean(ServiceLocks.class)
				.doesNotHaveBean(GrpcLockServer.class));
	}

	@Test
	void needsAMutexService() {
		this.runner.withPropertyValues("locksmith.server.enabled=true")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ServiceLocks.class));
	}

	@Test
	void enabledServesGrpcAndOutsideAWebApplicationNoController() {
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.withPropertyValues("locksmith.server.enabled=true")
			.run((context) -> {
				assertThat(context).hasSingleBean(ServiceLocks.class).doesNotHaveBean(LockServiceController.class);
				assertThat(context.getBean(GrpcLockServer.class).isRunning()).isTrue();
				assertThat(context.getBean(GrpcLockServer.class).getPort()).isPositive();
			});
	}

	@Test
	void grpcCanBeTurnedOff() {
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.withPropertyValues("locksmith.server.enabled=true", "locksmith.server.grpc.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(ServiceLocks.class)
				.doesNotHaveBean(GrpcLockServer.class));
	}

	@Test
	void badPropertiesFailStartupNamingTheProperty() {
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.withPropertyValues("locksmith.server.enabled=true", "locksmith.server.default-ttl=2h",
					"locksmith.server.max-ttl=1h")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.server.max-ttl"));
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.withPropertyValues("locksmith.server.enabled=true", "locksmith.server.default-ttl=0s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.server.default-ttl"));
	}

	@Test
	void anEmptyKeyPrefixFailsStartupNamingTheProperty() {
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.withPropertyValues("locksmith.server.enabled=true", "locksmith.server.key-prefix=")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.server.key-prefix"));
	}

	@Test
	void propertyDefaults() {
		LockServerProperties properties = new LockServerProperties();
		assertThat(properties.isEnabled()).isFalse();
		assertThat(properties.getDefaultTtl()).hasHours(1);
		assertThat(properties.getGrpc().getPort()).isEqualTo(8765);
		assertThat(properties.getGrpc().isEnabled()).isTrue();
		assertThat(properties.getKeyPrefix()).isEqualTo("service:");
		assertThat(properties.getToken()).isNull();
		assertThat(properties.getMaxWaitingRequests()).isEqualTo(32);
		assertThat(properties.getGrpc().getAddress()).as("loopback").isNull();
		assertThat(properties.getGrpc().getSsl().getBundle()).as("plaintext").isNull();
		assertThat(properties.getGrpc().getMaxThreads()).isEqualTo(64);
		assertThat(properties.getGrpc().getQueueCapacity()).isEqualTo(64);
		assertThat(properties.getPage().isEnabled()).as("lock page").isFalse();
	}

	@Test
	void badBoundsAndAMissingSslBundleFailStartupNamingTheProperty() {
		for (String property : new String[] { "locksmith.server.max-waiting-requests=0",
				"locksmith.server.grpc.max-threads=0", "locksmith.server.grpc.queue-capacity=-1" }) {
			this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
				.withPropertyValues("locksmith.server.enabled=true", property)
				.run((context) -> assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessageContaining(property.substring(0, property.indexOf('='))));
		}
		this.runner.withBean(MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.withPropertyValues("locksmith.server.enabled=true", "locksmith.server.grpc.ssl.bundle=missing")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.server.grpc.ssl.bundle"));
	}

}
