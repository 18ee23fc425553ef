package dev.locksmith.benchmarks;

/**
 * Display names of the contenders, shared by the factory, the tables and the goal check.
 */
public final class ContenderNames {

	/** Locksmith with the in-memory provider. */
	public static final String LOCKSMITH_MEMORY = "Locksmith memory";

	/** Locksmith with the Redis provider. */
	public static final String LOCKSMITH_REDIS = "Locksmith Redis";

	/** Locksmith with the JDBC table provider on PostgreSQL. */
	public static final String LOCKSMITH_JDBC = "Locksmith JDBC table";

	/** Locksmith with the PostgreSQL advisory-lock provider. */
	public static final String LOCKSMITH_ADVISORY = "Locksmith JDBC advisory";

	/** Locksmith with the PostgreSQL advisory-lock provider, waiting writers waiting in the server (S6). */
	public static final String LOCKSMITH_ADVISORY_SERVER_WAIT = "Locksmith JDBC advisory, waitInServer";

	/** Locksmith with the etcd provider. */
	public static final String LOCKSMITH_ETCD = "Locksmith etcd";

	/** Redisson {@code RLock}. */
	public static final String REDISSON = "Redisson RLock";

	/** Spring Integration {@code RedisLockRegistry}. */
	public static final String SI_REDIS = "SI RedisLockRegistry";

	/** Spring Integration {@code JdbcLockRegistry}. */
	public static final String SI_JDBC = "SI JdbcLockRegistry";

	/** ShedLock Redis provider. */
	public static final String SHEDLOCK_REDIS = "ShedLock Redis";

	/** ShedLock JDBC provider. */
	public static final String SHEDLOCK_JDBC = "ShedLock JDBC";

	/** Raw Lettuce floor. */
	public static final String FLOOR_REDIS = "floor: Lettuce SET NX PX + CAD";

	/** Raw Lettuce floor retrying every millisecond while it waits (S6). */
	public static final String FLOOR_REDIS_RETRY = "floor: Lettuce SET NX PX retried every 1 ms";

	/** Raw Lettuce floor that waits on a pub/sub message: the hand-off floor (S4). */
	public static final String FLOOR_REDIS_PUBSUB = "floor: Lettuce SET NX PX, CAD + PUBLISH, SUBSCRIBE wait";

	/** Raw jetcd floor. */
	public static final String FLOOR_ETCD = "floor: jetcd Txn create + Txn delete";

	/** Raw PostgreSQL advisory-lock floor. */
	public static final String FLOOR_PG = "floor: JDBC pg_advisory_lock";

	/** Locksmith with the Redis provider on a three-master Redis Cluster (sharded release channels). */
	public static final String LOCKSMITH_REDIS_CLUSTER = "Locksmith Redis Cluster";

	/** Redisson {@code RLock} on the same Redis Cluster. */
	public static final String REDISSON_CLUSTER = "Redisson RLock (cluster)";

	/** Raw Lettuce floor on the same Redis Cluster. */
	public static final String FLOOR_REDIS_CLUSTER = "floor: Lettuce cluster SET NX PX + CAD";

	/** Raw Lettuce cluster floor retrying every 1 ms while it waits (S6's cluster anchor). */
	public static final String FLOOR_REDIS_CLUSTER_RETRY = "floor: Lettuce cluster SET NX PX retried every 1 ms";

	/** Every contender, in table order. */
	public static final java.util.List<String> ALL = java.util.List.of(LOCKSMITH_MEMORY, LOCKSMITH_REDIS,
			LOCKSMITH_JDBC, LOCKSMITH_ADVISORY, LOCKSMITH_ADVISORY_SERVER_WAIT, LOCKSMITH_ETCD, REDISSON, SI_REDIS, SI_JDBC,
			SHEDLOCK_REDIS, SHEDLOCK_JDBC, FLOOR_REDIS, FLOOR_REDIS_RETRY, FLOOR_REDIS_PUBSUB, FLOOR_PG, FLOOR_ETCD, LOCKSMITH_REDIS_CLUSTER,
			REDISSON_CLUSTER, FLOOR_REDIS_CLUSTER, FLOOR_REDIS_CLUSTER_RETRY);

	private ContenderNames() {
	}

}
