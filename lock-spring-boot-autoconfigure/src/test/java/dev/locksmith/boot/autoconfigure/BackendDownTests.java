package dev.locksmith.boot.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;

import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.LocksmithHealthIndicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What an application does when its backend is down (nothing listens on the configured port), as the
 * README's "When the backend is down" says: with Redis, etcd and Kubernetes it starts (health DOWN), and the first lock
 * call fails with {@link LockProviderUnavailableException} once the wait time is spent; with JDBC startup
 * fails, because the schema initializer and the provider both ask the database what it is.
 */
class BackendDownTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, DataSourceAutoConfiguration.class,
				LocksmithAutoConfiguration.class, LocksmithHealthContributorAutoConfiguration.class));

	@Test
	void redis() throws IOException {
		this.contextRunner
			.withPropertyValues("locksmith.provider=redis", "spring.data.redis.port=" + closedPort(),
					"spring.data.redis.timeout=1s", "spring.data.redis.connect-timeout=1s")
			.run(startsAndTheFirstCallFails());
	}

	@Test
	void jdbcFailsStartupWhileTheSchemaInitializerDetectsThePlatform() throws IOException {
		// Boot's script initializers (Locksmith's like Spring Batch's) resolve schema-@@platform@@.sql when created
		this.contextRunner.withPropertyValues(jdbc(closedPort()))
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("locksmithDataSourceScriptDatabaseInitializer")
				.hasStackTraceContaining("Failed to determine DatabaseDriver"));
	}

	@Test
	void jdbcFailsStartupWhileTheProviderDetectsTheDatabase() throws IOException {
		this.contextRunner.withPropertyValues(jdbc(closedPort()))
			.withPropertyValues("locksmith.jdbc.platform=postgresql", "locksmith.jdbc.initialize-schema=never")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("JdbcLockProvider: cannot open a connection to detect the database"));
	}

	private static String[] jdbc(int port) {
		return new String[] { "locksmith.provider=jdbc",
				"spring.datasource.url=jdbc:postgresql://127.0.0.1:" + port + "/app",
				"spring.datasource.hikari.connection-timeout=1000" };
	}

	@Test
	void etcd() throws IOException {
		this.contextRunner
			.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=http://127.0.0.1:" + closedPort(),
					"locksmith.etcd.request-timeout=1s")
			.run(startsAndTheFirstCallFails());
	}

	@Test
	void kubernetes() throws IOException {
		KubernetesClient client = new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:" + closedPort()).withNamespace("locks")
				.withRequestRetryBackoffLimit(0).build())
			.build();
		try (client) {
			this.contextRunner.withBean(KubernetesClient.class, () -> client)
				.withPropertyValues("locksmith.provider=kubernetes")
				.run(startsAndTheFirstCallFails());
		}
	}

	private static ContextConsumer<AssertableApplicationContext> startsAndTheFirstCallFails() {
		return (context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LocksmithHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
			MutexService locks = context.getBean(MutexService.class);
			assertThatThrownBy(() -> locks.acquire("down", LockOptions.waitTime(Duration.ofSeconds(2))))
				.isInstanceOf(LockProviderUnavailableException.class);
		};
	}

	private static int closedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
