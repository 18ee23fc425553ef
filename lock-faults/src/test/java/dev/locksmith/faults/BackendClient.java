package dev.locksmith.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.etcd.jetcd.Client;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.provider.etcd.EtcdLockProvider;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.provider.redis.RedisClientSettings;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.provider.redis.RedlockLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * A provider of one backend, built from its name and endpoints the way an application would (clients
 * and the orchestrator's leak check both use it), with the connections it opened.
 *
 * <p>Backends: {@code memory}, {@code redis} ({@code host:port}), {@code redlock} (three
 * {@code host:port}), {@code postgres-table} and {@code postgres-advisory} (a JDBC URL), {@code etcd}
 * ({@code http://host:port}).
 */
final class BackendClient implements AutoCloseable {

	/** The Redis command timeout of the clients. */
	static final Duration REDIS_TIMEOUT = Duration.ofMillis(1000);

	/** The etcd request timeout of the clients. */
	static final Duration ETCD_TIMEOUT = Duration.ofMillis(1000);

	private final LockProvider provider;

	private final List<AutoCloseable> resources = new ArrayList<>();

	/**
	 * Connects.
	 * @param backend the backend name
	 * @param endpoints its endpoints, comma-separated ({@code -} for memory)
	 * @param poolSize the JDBC pool size
	 */
	BackendClient(String backend, String endpoints, int poolSize) {
		this.provider = switch (backend) {
			case "memory" -> new MemoryLockProvider();
			case "redis" -> RedisLockProvider.builder(redis(endpoints.split(",")[0])).build();
			case "redlock" -> {
				List<RedisConnectionFactory> nodes = new ArrayList<>();
				for (String endpoint : endpoints.split(",")) {
					nodes.add(redis(endpoint));
				}
				yield RedlockLockProvider.builder(nodes).build();
			}
			case "postgres-table" -> JdbcLockProvider.builder(pool(endpoints, poolSize)).build();
			case "postgres-advisory" -> PostgresAdvisoryLockProvider.builder(pool(endpoints, poolSize)).build();
			case "etcd" -> EtcdLockProvider.builder(etcd(endpoints)).requestTimeout(ETCD_TIMEOUT).build();
			default -> throw new IllegalArgumentException("BackendClient: unknown backend '" + backend
					+ "' (memory, redis, redlock, postgres-table, postgres-advisory, etcd)");
		};
	}

	/**
	 * Returns the provider.
	 * @return the provider
	 */
	LockProvider provider() {
		return this.provider;
	}

	private LettuceConnectionFactory redis(String endpoint) {
		String[] hostPort = endpoint.split(":");
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(hostPort[0], Integer.parseInt(hostPort[1])),
				RedisClientSettings.clientConfiguration(REDIS_TIMEOUT));
		factory.afterPropertiesSet();
		factory.start();
		this.resources.add(factory::destroy);
		return factory;
	}

	private Client etcd(String endpoints) {
		Client client = Client.builder()
			.endpoints(endpoints.split(","))
			.connectTimeout(ETCD_TIMEOUT)
			.retryMaxDuration(ETCD_TIMEOUT)
			.build();
		this.resources.add(client);
		return client;
	}

	private HikariDataSource pool(String jdbcUrl, int poolSize) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(jdbcUrl);
		config.setUsername("postgres");
		config.setMaximumPoolSize(poolSize);
		config.setMinimumIdle(0);
		config.setConnectionTimeout(2000);
		config.setValidationTimeout(1000);
		HikariDataSource pool = new HikariDataSource(config);
		this.resources.add(pool);
		return pool;
	}

	@Override
	public void close() {
		try {
			this.provider.close();
		}
		catch (RuntimeException ex) {
			// closing after faults: the connection may be gone already
		}
		for (AutoCloseable resource : this.resources) {
			try {
				resource.close();
			}
			catch (Exception ex) {
				// same
			}
		}
	}

}
