package dev.locksmith.docs;

import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.LeaderListener;
import dev.locksmith.leader.Leadership;
import dev.locksmith.leader.RevocationReason;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.provider.redis.RedisClientSettings;
import dev.locksmith.provider.redis.RedisLockProvider;

/**
 * The Java snippets of docs/redis.md, docs/jdbc.md and docs/leader-election.md, compiled (not run: they
 * name a fixed host and port or an application's own beans). {@link DocsSnippetTests} checks that each
 * snippet in the docs is the text between its markers here; if one changes, change the other.
 */
final class CoreDocsSnippets {

	private final Logger log = LoggerFactory.getLogger(CoreDocsSnippets.class);

	private final FencedStore store = (data, term) -> { };

	private final Object data = new Object();

	private CoreDocsSnippets() {
	}

	static MutexService redis() {
		// --- docs: redis (begin) ---
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration("localhost", 6379),
				RedisClientSettings.clientConfiguration(Duration.ofSeconds(2)));
		factory.afterPropertiesSet();
		factory.start();
		MutexService locks = Locksmith.builder(RedisLockProvider.builder(factory).minReplicas(0).build()).build();
		// Redlock: RedlockLockProvider.builder(List.of(factory1, factory2, factory3)).quorum(0).build()
		// --- docs: redis (end) ---
		return locks;
	}

	static List<MutexService> jdbc(DataSource dataSource) {
		// --- docs: jdbc (begin) ---
		MutexService locks = Locksmith.builder(JdbcLockProvider.builder(dataSource).build()).build();
		MutexService pgLocks = Locksmith.builder(PostgresAdvisoryLockProvider.builder(dataSource).namespace(42).build()).build();
		// --- docs: jdbc (end) ---
		return List.of(locks, pgLocks);
	}

	void leaderElection(MutexService locks) {
		// --- docs: leader election (begin) ---
		LeaderElection election = LeaderElection.builder(locks, "indexer")     // lease key "leader:indexer"
		        .ttl(Duration.ofSeconds(10))                                     // default: the service's TTL, renewed at 1/3
		        .listener(new LeaderListener() {
		            public void granted(Leadership l) { log.info("leading, term {}", l.term()); }
		            public void revoked(Leadership l, RevocationReason why) { log.info("term {} over: {}", l.term(), why); }
		        })
		        .build();
		election.start();
		election.leadership().ifPresent(l -> store.write(data, l.term()));      // fence writes with the term
		election.yield();                                                         // step down; election.stop() to leave
		// --- docs: leader election (end) ---
	}

	/** The storage the leader-election snippet fences its writes to. */
	interface FencedStore {

		void write(Object data, long term);

	}

}
