package dev.locksmith.benchmarks;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;
import net.javacrumbs.shedlock.provider.jdbctemplate.JdbcTemplateLockProvider;
import net.javacrumbs.shedlock.provider.redis.spring.RedisLockProvider;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.integration.redis.util.RedisLockRegistry;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;

import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.RawLettuceFloor;
import dev.locksmith.benchmarks.contender.RawLettucePubSubFloor;
import dev.locksmith.benchmarks.contender.RawPgAdvisoryFloor;
import dev.locksmith.benchmarks.contender.RawJetcdFloor;
import dev.locksmith.benchmarks.contender.RedissonContender;
import dev.locksmith.benchmarks.contender.ShedLockContender;
import dev.locksmith.benchmarks.contender.SpringIntegrationContender;

/**
 * Builds every contender against the running servers, each with its own clients and pools, configured
 * with the library's defaults.
 */
final class Contenders {

	/** Connections per JDBC contender: enough for S2/S3's 16 threads plus internal use. */
	static final int POOL_SIZE = 20;

	private final BenchmarkServers servers;

	Contenders(BenchmarkServers servers) {
		this.servers = servers;
	}

	/**
	 * Creates the schemas the JDBC contenders need.
	 * @throws SQLException if a statement fails
	 */
	void createSchemas() throws SQLException {
		try (Connection connection = this.servers.adminDataSource().getConnection();
				Statement statement = connection.createStatement()) {
			// Spring Integration's INT_LOCK table, as in its schema-postgresql.sql
			statement.execute("CREATE TABLE IF NOT EXISTS INT_LOCK (LOCK_KEY CHAR(36) NOT NULL, "
					+ "REGION VARCHAR(100) NOT NULL, CLIENT_ID CHAR(36), CREATED_DATE TIMESTAMP NOT NULL, "
					+ "EXPIRED_AFTER TIMESTAMP NOT NULL, CONSTRAINT INT_LOCK_PK PRIMARY KEY (LOCK_KEY, REGION))");
			statement.execute("CREATE TABLE IF NOT EXISTS shedlock (name VARCHAR(64) NOT NULL PRIMARY KEY, "
					+ "lock_until TIMESTAMP NOT NULL, locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL)");
		}
	}

	/**
	 * The contenders that are not Locksmith, in table order.
	 * @return new contenders; the caller closes them
	 */
	List<Contender> competitors() {
		List<Contender> contenders = new ArrayList<>();
		contenders.add(new RedissonContender(this.servers.redisUri(), Duration.ofSeconds(30)));
		contenders.add(springIntegrationRedis());
		contenders.add(springIntegrationJdbc());
		contenders.add(shedLockRedis());
		contenders.add(shedLockJdbc());
		contenders.add(RawLettuceFloor.standalone(this.servers.redisUri()));
		contenders.add(new RawLettucePubSubFloor(this.servers.redisUri()));
		contenders.add(new RawPgAdvisoryFloor(
				this.servers.newPool("floor-pg", POOL_SIZE, "SET lock_timeout = '" + 35_000 + "ms'")));
		String etcd = this.servers.etcdEndpoint();
		if (etcd != null) {
			contenders.add(new RawJetcdFloor(etcd));
		}
		return contenders;
	}

	/**
	 * A Spring Data Redis connection factory (Lettuce, shared native connection: the Boot default).
	 * @return a started factory
	 */
	LettuceConnectionFactory redisConnectionFactory() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration("127.0.0.1", this.servers.redisPort()));
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	/**
	 * A new jetcd client for the etcd server, if there is one.
	 * @return the client (the caller closes it), or {@code null} without etcd
	 */
	io.etcd.jetcd.@Nullable Client etcdClient() {
		String endpoint = this.servers.etcdEndpoint();
		return (endpoint != null) ? io.etcd.jetcd.Client.builder().endpoints(endpoint).build() : null;
	}

	/**
	 * A new pool for one JDBC contender.
	 * @param name pool name
	 * @return the pool
	 */
	HikariDataSource pool(String name) {
		return this.servers.newPool(name, POOL_SIZE, null);
	}

	private Contender springIntegrationRedis() {
		LettuceConnectionFactory factory = redisConnectionFactory();
		RedisLockRegistry registry = new RedisLockRegistry(factory, "si-bench");
		return new SpringIntegrationContender(ContenderNames.SI_REDIS, "redis", registry, () -> {
			registry.destroy();
			factory.destroy();
		});
	}

	private Contender springIntegrationJdbc() {
		HikariDataSource dataSource = pool("si-jdbc");
		DefaultLockRepository repository = new DefaultLockRepository(dataSource);
		repository.setTransactionManager(new JdbcTransactionManager(dataSource));
		repository.afterPropertiesSet();
		repository.afterSingletonsInstantiated();
		repository.start();
		JdbcLockRegistry registry = new JdbcLockRegistry(repository);
		return new SpringIntegrationContender(ContenderNames.SI_JDBC, "postgres", registry, () -> {
			repository.close();
			dataSource.close();
		});
	}

	private Contender shedLockRedis() {
		LettuceConnectionFactory factory = redisConnectionFactory();
		RedisLockProvider provider = new RedisLockProvider(factory, "bench");
		return new ShedLockContender(ContenderNames.SHEDLOCK_REDIS, "redis", provider, factory::destroy);
	}

	private Contender shedLockJdbc() {
		HikariDataSource dataSource = pool("shedlock-jdbc");
		JdbcTemplateLockProvider provider = new JdbcTemplateLockProvider(JdbcTemplateLockProvider.Configuration.builder()
			.withJdbcTemplate(new JdbcTemplate(dataSource))
			.usingDbTime()
			.build());
		return new ShedLockContender(ContenderNames.SHEDLOCK_JDBC, "postgres", provider, dataSource::close);
	}

	/**
	 * The admin data source, for counters.
	 * @return the data source
	 */
	DataSource admin() {
		return this.servers.adminDataSource();
	}

}
