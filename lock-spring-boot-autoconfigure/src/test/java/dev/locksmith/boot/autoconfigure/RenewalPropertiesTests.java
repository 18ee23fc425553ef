package dev.locksmith.boot.autoconfigure;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.engine.LockEngine;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code locksmith.renewal.period} and {@code locksmith.renewal.timeout}: the service's default renewal
 * options, validated against {@code locksmith.default-ttl} at startup.
 */
class RenewalPropertiesTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class));

	@Test
	void unsetByDefault() {
		this.contextRunner.run((context) -> {
			LockEngine engine = context.getBean(LockEngine.class);
			assertThat(engine.defaults().renewalPeriod()).isNull();
			assertThat(engine.defaults().renewalTimeout()).isNull();
		});
	}

	@Test
	void becomeTheServiceDefaults() {
		this.contextRunner
			.withPropertyValues("locksmith.default-ttl=30s", "locksmith.renewal.period=5s", "locksmith.renewal.timeout=2s")
			.run((context) -> {
				LockEngine engine = context.getBean(LockEngine.class);
				assertThat(engine.defaults().renewalPeriod()).isEqualTo(Duration.ofSeconds(5));
				assertThat(engine.defaults().renewalTimeout()).isEqualTo(Duration.ofSeconds(2));
			});
	}

	@Test
	void aPeriodNotShorterThanTheDefaultTtlFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.default-ttl=30s", "locksmith.renewal.period=30s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.renewal.period")
				.hasMessageContaining("renewalPeriod must be shorter than the TTL (PT30S)"));
	}

	@Test
	void aTimeoutThatLeavesNoTimeAfterThePeriodFailsStartupNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("locksmith.default-ttl=30s", "locksmith.renewal.period=20s",
					"locksmith.renewal.timeout=10s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.renewal.timeout")
				.hasMessageContaining("(PT30S - PT20S = PT10S)"));
	}

	@Test
	void aNegativePeriodFailsStartup() {
		this.contextRunner.withPropertyValues("locksmith.renewal.period=-1s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.renewal.period must be positive"));
	}

}
