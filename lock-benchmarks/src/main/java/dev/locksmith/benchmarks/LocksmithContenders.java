package dev.locksmith.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.LocksmithContender;
import dev.locksmith.benchmarks.report.Results;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.etcd.EtcdLockProvider;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * Builds the Locksmith contenders, each a {@link LockEngine} over one provider with the library defaults
 * and its own clients and pools.
 */
final class LocksmithContenders {

	private final Contenders factory;

	private @Nullable LockEngine memoryEngine;

	LocksmithContenders(Contenders factory) {
		this.factory = factory;
	}

	/**
	 * Creates Locksmith's lock table and fencing sequence from the shipped PostgreSQL script.
	 * @throws SQLException if a statement fails
	 * @throws IOException if the script cannot be read
	 */
	void createSchema() throws SQLException, IOException {
		String script;
		try (InputStream in = LocksmithContenders.class.getClassLoader()
			.getResourceAsStream("dev/locksmith/provider/jdbc/schema-postgresql.sql")) {
			if (in == null) {
				throw new IOException("schema-postgresql.sql is not on the class path");
			}
			script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		try (Connection connection = this.factory.admin().getConnection();
				Statement statement = connection.createStatement()) {
			for (String sql : script.replaceAll("(?m)^--.*$", "").split(";")) {
				if (!sql.isBlank()) {
					statement.execute(sql);
				}
			}
		}
	}

	/**
	 * Locksmith over every provider, with the library defaults.
	 * @param results unused; kept for notes about missing providers
	 * @return the contenders
	 */
	List<Contender> create(Results results) {
		LockOptions defaults = Locksmith.libraryDefaults();
		List<Contender> contenders = new ArrayList<>();
		contenders.add(memory());
		contenders.add(redis(defaults));
		contenders.add(jdbcTable(defaults));
		contenders.add(jdbcAdvisory(defaults));
		io.etcd.jetcd.Client etcd = this.factory.etcdClient();
		if (etcd != null) {
			EtcdLockProvider provider = EtcdLockProvider.builder(etcd).namespace("locksmith-bench/").build();
			contenders.add(engine(ContenderNames.LOCKSMITH_ETCD, "etcd", provider, defaults, etcd::close));
		}
		return contenders;
	}

	/**
	 * Locksmith contenders for S5: the lease-based providers with a short default TTL and automatic
	 * renewal. The advisory provider is not among them: it pins one connection per held lease, so it cannot
	 * hold thousands of leases on one pool.
	 * @param ttl the lease TTL
	 * @return the contenders
	 */
	List<Contender> renewing(Duration ttl) {
		LockOptions defaults = Locksmith.libraryDefaults().withTtl(ttl).withAutoExtend(true);
		return List.of(redis(defaults), jdbcTable(defaults));
	}

	private Contender memory() {
		// In-memory locks are per JVM: both "nodes" share one engine (closing it twice is a no-op).
		if (this.memoryEngine == null) {
			this.memoryEngine = Locksmith.builder(new MemoryLockProvider()).build();
		}
		LockEngine engine = this.memoryEngine;
		return new LocksmithContender(ContenderNames.LOCKSMITH_MEMORY, "memory", engine, engine);
	}

	private Contender redis(LockOptions defaults) {
		LettuceConnectionFactory connectionFactory = this.factory.redisConnectionFactory();
		RedisLockProvider provider = RedisLockProvider.builder(connectionFactory).build();
		return engine(ContenderNames.LOCKSMITH_REDIS, "redis", provider, defaults, connectionFactory::destroy);
	}

	/**
	 * Locksmith on the Redis Cluster (Spring Data's cluster connection, Lettuce defaults; releases on shard
	 * channels), for S1 and S2.
	 * @param nodeUris the masters' URIs
	 * @return the contender
	 */
	Contender redisCluster(List<String> nodeUris) {
		LettuceConnectionFactory connectionFactory = new LettuceConnectionFactory(new RedisClusterConfiguration(
				nodeUris.stream().map((uri) -> uri.substring("redis://".length())).toList()));
		connectionFactory.afterPropertiesSet();
		connectionFactory.start();
		RedisLockProvider provider = RedisLockProvider.builder(connectionFactory).build();
		return engine(ContenderNames.LOCKSMITH_REDIS_CLUSTER, "redis", provider, Locksmith.libraryDefaults(),
				connectionFactory::destroy);
	}

	private Contender jdbcTable(LockOptions defaults) {
		HikariDataSource pool = this.factory.pool("locksmith-jdbc");
		JdbcLockProvider provider = JdbcLockProvider.builder(pool).build();
		return engine(ContenderNames.LOCKSMITH_JDBC, "postgres", provider, defaults, pool::close);
	}

	private Contender jdbcAdvisory(LockOptions defaults) {
		HikariDataSource pool = this.factory.pool("locksmith-advisory");
		PostgresAdvisoryLockProvider provider = PostgresAdvisoryLockProvider.builder(pool).build();
		return engine(ContenderNames.LOCKSMITH_ADVISORY, "postgres", provider, defaults, pool::close);
	}

	private static Contender engine(String name, String backend, LockProvider provider, LockOptions defaults,
			AutoCloseable client) {
		LockEngine engine = Locksmith.builder(provider).defaults(defaults).build();
		return new LocksmithContender(name, backend, engine, () -> {
			engine.close();
			provider.close();
			client.close();
		});
	}

}
