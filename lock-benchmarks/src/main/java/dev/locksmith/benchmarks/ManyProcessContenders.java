package dev.locksmith.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.integration.redis.util.RedisLockRegistry;
import org.springframework.jdbc.support.JdbcTransactionManager;

import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.LocksmithContender;
import dev.locksmith.benchmarks.contender.RawLettuceFloor;
import dev.locksmith.benchmarks.contender.RawPgAdvisoryFloor;
import dev.locksmith.benchmarks.contender.RedissonContender;
import dev.locksmith.benchmarks.contender.SpringIntegrationContender;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * S6's contenders: a factory per contender that builds one more independent instance (its own engine,
 * provider, connection factory or pool), so that every waiting thread is its own "process". Pools are
 * small (a waiter needs one connection to wait and, for advisory locks, one pinned while it holds).
 */
final class ManyProcessContenders {

	/** Connections per JDBC instance: the held or waiting connection, a LISTEN connection, one spare. */
	private static final int POOL_SIZE = 3;

	private final BenchmarkServers servers;

	private final Contenders factory;

	ManyProcessContenders(BenchmarkServers servers, Contenders factory) {
		this.servers = servers;
		this.factory = factory;
	}

	/**
	 * One factory per contender, in table order; the Redis Cluster ones only when {@code redis-server} is on
	 * the {@code PATH}.
	 * @return name and instance factory pairs
	 */
	List<Named> all() {
		List<Named> all = new ArrayList<>(single());
		List<String> nodes = this.servers.redisClusterUris();
		if (!nodes.isEmpty()) {
			all.addAll(cluster(nodes));
		}
		return all;
	}

	/**
	 * Locksmith, Redisson and the retry floor on the local Redis Cluster (only when it runs).
	 */
	private static List<Named> cluster(List<String> nodes) {
		LockOptions defaults = Locksmith.libraryDefaults();
		return List.of(new Named(ContenderNames.LOCKSMITH_REDIS_CLUSTER, () -> {
			LettuceConnectionFactory connections = new LettuceConnectionFactory(new RedisClusterConfiguration(
					nodes.stream().map((uri) -> uri.substring("redis://".length())).toList()));
			connections.afterPropertiesSet();
			connections.start();
			return engine(ContenderNames.LOCKSMITH_REDIS_CLUSTER, "redis",
					RedisLockProvider.builder(connections).build(), defaults, connections::destroy);
		}), new Named(ContenderNames.REDISSON_CLUSTER, () -> RedissonContender.cluster(nodes, 4)),
				new Named(ContenderNames.FLOOR_REDIS_CLUSTER_RETRY, () -> RawLettuceFloor.cluster(nodes, 1)));
	}

	private List<Named> single() {
		LockOptions defaults = Locksmith.libraryDefaults();
		return List.of(new Named(ContenderNames.LOCKSMITH_REDIS, () -> {
			LettuceConnectionFactory connections = this.factory.redisConnectionFactory();
			return engine(ContenderNames.LOCKSMITH_REDIS, "redis", RedisLockProvider.builder(connections).build(),
					defaults, connections::destroy);
		}), new Named(ContenderNames.LOCKSMITH_JDBC, () -> {
			HikariDataSource pool = this.servers.newPool("s6-table", POOL_SIZE, null);
			return engine(ContenderNames.LOCKSMITH_JDBC, "postgres", JdbcLockProvider.builder(pool).build(), defaults,
					pool::close);
		}), new Named(ContenderNames.LOCKSMITH_ADVISORY, () -> {
			HikariDataSource pool = this.servers.newPool("s6-advisory", POOL_SIZE, null);
			return engine(ContenderNames.LOCKSMITH_ADVISORY, "postgres",
					PostgresAdvisoryLockProvider.builder(pool).build(), defaults, pool::close);
		}), new Named(ContenderNames.LOCKSMITH_ADVISORY_SERVER_WAIT, () -> {
			HikariDataSource pool = this.servers.newPool("s6-advisory-wait", POOL_SIZE, null);
			return engine(ContenderNames.LOCKSMITH_ADVISORY_SERVER_WAIT, "postgres",
					PostgresAdvisoryLockProvider.builder(pool).waitInServer(true).build(), defaults, pool::close);
		}), new Named(ContenderNames.REDISSON, () -> new RedissonContender(this.servers.redisUri(),
				Duration.ofSeconds(30), 4)), new Named(ContenderNames.SI_REDIS, () -> {
					LettuceConnectionFactory connections = this.factory.redisConnectionFactory();
					RedisLockRegistry registry = new RedisLockRegistry(connections, "si-s6");
					return new SpringIntegrationContender(ContenderNames.SI_REDIS, "redis", registry, () -> {
						registry.destroy();
						connections.destroy();
					});
				}), new Named(ContenderNames.SI_JDBC, () -> {
					HikariDataSource pool = this.servers.newPool("s6-si-jdbc", POOL_SIZE, null);
					DefaultLockRepository repository = new DefaultLockRepository(pool);
					repository.setTransactionManager(new JdbcTransactionManager(pool));
					repository.afterPropertiesSet();
					repository.afterSingletonsInstantiated();
					repository.start();
					JdbcLockRegistry registry = new JdbcLockRegistry(repository);
					return new SpringIntegrationContender(ContenderNames.SI_JDBC, "postgres", registry, () -> {
						repository.close();
						pool.close();
					});
				}), new Named(ContenderNames.FLOOR_REDIS_RETRY, () -> RawLettuceFloor.standalone(this.servers.redisUri(), 1)),
				new Named(ContenderNames.FLOOR_PG, () -> new RawPgAdvisoryFloor(
						this.servers.newPool("s6-floor-pg", 2, "SET lock_timeout = '35000ms'"))));
	}

	private static Contender engine(String name, String backend, LockProvider provider, LockOptions defaults,
			AutoCloseable client) {
		CountingLockProvider counting = new CountingLockProvider(provider);
		LockEngine engine = Locksmith.builder(counting).defaults(defaults).build();
		return new LocksmithContender(name, backend, engine, () -> {
			engine.close();
			counting.close();
			client.close();
		}, counting::acquires);
	}

	/**
	 * A contender's name and a factory for one more instance.
	 * @param name display name
	 * @param instance builds an independent instance
	 */
	record Named(String name, Supplier<Contender> instance) {
	}

}
