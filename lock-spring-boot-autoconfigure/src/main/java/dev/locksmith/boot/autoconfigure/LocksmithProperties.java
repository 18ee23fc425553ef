package dev.locksmith.boot.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.Ordered;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

import dev.locksmith.Backoff;
import dev.locksmith.LockOptions;
import dev.locksmith.provider.etcd.EtcdLockProvider;

/**
 * Configuration properties for Locksmith ({@code locksmith.*}). Defaults equal the library's defaults
 * ({@link dev.locksmith.Locksmith#libraryDefaults()}), except the key prefix. Fields carry the documentation
 * (it becomes the IDE metadata); accessors are plain. The properties validate
 * themselves when bound, so a bad value fails startup with a message naming the property.
 */
@ConfigurationProperties("locksmith")
public class LocksmithProperties implements Validator {

	/**
	 * Lock backend: memory, redis, jdbc, etcd or kubernetes.
	 */
	private Provider provider = Provider.MEMORY;

	/**
	 * Prefix prepended to every lock key on the backend.
	 */
	private String keyPrefix = "lock:";

	/**
	 * Lease time to live of locks that do not set their own.
	 */
	private Duration defaultTtl = Duration.ofSeconds(30);

	/**
	 * How long a blocking acquisition waits for a held lock before giving up.
	 */
	private Duration waitTime = Duration.ofSeconds(10);

	/**
	 * Whether leases without an explicit TTL are renewed automatically while held.
	 */
	private boolean autoExtend = true;

	/**
	 * Owner id stored with every lease. Generated (host name, process id, random suffix) when empty.
	 */
	private @Nullable String ownerId;

	private final Retry retry = new Retry();

	private final Redis redis = new Redis();

	private final Aspect aspect = new Aspect();

	private final Etcd etcd = new Etcd();

	private final Kubernetes kubernetes = new Kubernetes();

	private final Events events = new Events();

	private final Renewal renewal = new Renewal();

	public Provider getProvider() {
		return this.provider;
	}

	public void setProvider(Provider provider) {
		this.provider = provider;
	}

	public String getKeyPrefix() {
		return this.keyPrefix;
	}

	public void setKeyPrefix(String keyPrefix) {
		this.keyPrefix = keyPrefix;
	}

	public Duration getDefaultTtl() {
		return this.defaultTtl;
	}

	public void setDefaultTtl(Duration defaultTtl) {
		this.defaultTtl = defaultTtl;
	}

	public Duration getWaitTime() {
		return this.waitTime;
	}

	public void setWaitTime(Duration waitTime) {
		this.waitTime = waitTime;
	}

	public boolean isAutoExtend() {
		return this.autoExtend;
	}

	public void setAutoExtend(boolean autoExtend) {
		this.autoExtend = autoExtend;
	}

	public @Nullable String getOwnerId() {
		return this.ownerId;
	}

	public void setOwnerId(@Nullable String ownerId) {
		this.ownerId = ownerId;
	}

	public Retry getRetry() {
		return this.retry;
	}

	public Redis getRedis() {
		return this.redis;
	}

	public Aspect getAspect() {
		return this.aspect;
	}

	public Etcd getEtcd() {
		return this.etcd;
	}

	public Kubernetes getKubernetes() {
		return this.kubernetes;
	}

	public Events getEvents() {
		return this.events;
	}

	public Renewal getRenewal() {
		return this.renewal;
	}

	/**
	 * Returns the default lock options these properties describe.
	 * @return the options for {@link dev.locksmith.Locksmith.Builder#defaults(LockOptions)}
	 */
	public LockOptions toLockOptions() {
		LockOptions options = LockOptions.defaults()
			.withTtl(this.defaultTtl)
			.withWaitTime(this.waitTime)
			.withAutoExtend(this.autoExtend)
			.withBackoff(this.retry.toBackoff());
		if (this.renewal.period != null) {
			options = options.withRenewalPeriod(this.renewal.period);
		}
		if (this.renewal.timeout != null) {
			options = options.withRenewalTimeout(this.renewal.timeout);
		}
		return options;
	}

	@Override
	public boolean supports(Class<?> type) {
		return LocksmithProperties.class.isAssignableFrom(type);
	}

	@Override
	public void validate(Object target, Errors errors) {
		LocksmithProperties properties = (LocksmithProperties) target;
		if (properties.keyPrefix == null) {
			reject(errors, "keyPrefix", "required", "must not be null (use an empty string for no prefix)");
		}
		requirePositive(errors, "defaultTtl", properties.defaultTtl);
		requireNotNegative(errors, "waitTime", properties.waitTime);
		properties.renewal.validate(errors, properties.defaultTtl);
		properties.retry.validate(errors);
		properties.redis.validate(errors);
		if (properties.provider == Provider.ETCD) {
			properties.etcd.validate(errors);
		}
		if (properties.provider == Provider.KUBERNETES) {
			properties.kubernetes.validate(errors);
		}
	}

	/**
	 * Rejects {@code field} with a message that starts with the property's name.
	 */
	static void reject(Errors errors, String field, String code, String message) {
		errors.rejectValue(field, code, propertyName(field) + " " + message);
	}

	private static String propertyName(String field) {
		return "locksmith." + field.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
	}

	static void requirePositive(Errors errors, String field, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			reject(errors, field, "positive", "must be positive, was " + value);
		}
	}

	static void requireNotNegative(Errors errors, String field, @Nullable Duration value) {
		if (value == null || value.isNegative()) {
			reject(errors, field, "notNegative", "must be zero or positive, was " + value);
		}
	}

	/**
	 * The lock backends.
	 */
	public enum Provider {

		/** Locks in this JVM only: for tests, development and single-instance applications. */
		MEMORY,

		/** Redis (one node with optional replica acknowledgement, or Redlock over independent masters). */
		REDIS,

		/** A table on any JDBC database, or PostgreSQL advisory locks. */
		JDBC,

		/** etcd v3 (leases, transactions and watches), through the jetcd client. */
		ETCD,

		/** A Kubernetes API server (coordination.k8s.io/v1 Lease objects), through the fabric8 client. */
		KUBERNETES

	}

	/**
	 * Retry backoff while waiting for a lock.
	 */
	public static class Retry {

		/**
		 * Delay before the second attempt.
		 */
		private Duration initialDelay = Duration.ofMillis(Backoff.DEFAULT_INITIAL_DELAY_MILLIS);

		/**
		 * Upper bound of one delay.
		 */
		private Duration maxDelay = Duration.ofMillis(Backoff.DEFAULT_MAX_DELAY_MILLIS);

		/**
		 * Growth factor between delays, at least 1.
		 */
		private double multiplier = Backoff.DEFAULT_MULTIPLIER;

		/**
		 * Fraction, from 0 to 1, by which each delay is randomly spread.
		 */
		private double jitter = Backoff.DEFAULT_JITTER;

		/**
		 * Most attempts per acquisition; 0 for unlimited within the wait time.
		 */
		private int maxAttempts = 0;

				public Duration getInitialDelay() {
			return this.initialDelay;
		}

				public void setInitialDelay(Duration initialDelay) {
			this.initialDelay = initialDelay;
		}

				public Duration getMaxDelay() {
			return this.maxDelay;
		}

				public void setMaxDelay(Duration maxDelay) {
			this.maxDelay = maxDelay;
		}

				public double getMultiplier() {
			return this.multiplier;
		}

				public void setMultiplier(double multiplier) {
			this.multiplier = multiplier;
		}

				public double getJitter() {
			return this.jitter;
		}

				public void setJitter(double jitter) {
			this.jitter = jitter;
		}

				public int getMaxAttempts() {
			return this.maxAttempts;
		}

				public void setMaxAttempts(int maxAttempts) {
			this.maxAttempts = maxAttempts;
		}

		/**
		 * Returns the backoff these properties describe.
		 * @return the backoff
		 */
		public Backoff toBackoff() {
			return Backoff.of(this.initialDelay, this.maxDelay, this.multiplier, this.jitter, this.maxAttempts);
		}

		void validate(Errors errors) {
			requirePositive(errors, "retry.initialDelay", this.initialDelay);
			if (this.maxDelay == null || (this.initialDelay != null && this.maxDelay.compareTo(this.initialDelay) < 0)) {
				reject(errors, "retry.maxDelay", "range",
						"must not be less than locksmith.retry.initial-delay (" + this.initialDelay + "), was "
								+ this.maxDelay);
			}
			if (!(this.multiplier >= 1.0) || Double.isInfinite(this.multiplier)) {
				reject(errors, "retry.multiplier", "range", "must be at least 1, was " + this.multiplier);
			}
			if (!(this.jitter >= 0.0 && this.jitter <= 1.0)) {
				reject(errors, "retry.jitter", "range", "must be between 0 and 1, was " + this.jitter);
			}
			if (this.maxAttempts < 0) {
				reject(errors, "retry.maxAttempts", "range",
						"must be zero (unlimited) or positive, was " + this.maxAttempts);
			}
		}

	}

	/**
	 * Redis provider settings. The connection itself comes from the application's
	 * {@code RedisConnectionFactory} ({@code spring.data.redis.*}) in single mode.
	 */
	public static class Redis {

		/**
		 * Deployment mode: one Redis (or a primary with replicas), or Redlock over independent masters.
		 */
		private RedisMode mode = RedisMode.SINGLE;

		/**
		 * Redis URLs of the independent masters, for Redlock mode: redis://[[user]:password@]host[:port][/database],
		 * or rediss:// for TLS.
		 */
		private List<String> nodes = new ArrayList<>();

		/**
		 * Masters that must grant a Redlock lease: 0 for a majority of the nodes, otherwise more than half
		 * of them.
		 */
		private int quorum = 0;

		/**
		 * Command and connect timeout of the Redlock node connections (commands are rejected at once while
		 * a node is disconnected). Keep it well below the lease TTL.
		 */
		private Duration commandTimeout = Duration.ofSeconds(2);

		/**
		 * Replicas that must acknowledge a grant (Redis WAIT) before it counts, in single mode.
		 */
		private int minReplicas = 0;

		/**
		 * How long to wait for replica acknowledgements.
		 */
		private Duration replicaTimeout = Duration.ofMillis(500);

		/**
		 * Whether, on a Redis Cluster of Redis 7 or later (Lettuce), releases are published on each key's own
		 * shard channel (SPUBLISH, waiters SSUBSCRIBE) instead of the classic channel the cluster broadcasts to
		 * every node. Every process sharing locks must use the same setting: set it to false while some of
		 * them still run a version that uses the classic channel. Ignored (classic channel) on a single
		 * server, Sentinel and Redis 6.
		 */
		private boolean shardedReleases = true;

				public RedisMode getMode() {
			return this.mode;
		}

				public void setMode(RedisMode mode) {
			this.mode = mode;
		}

				public List<String> getNodes() {
			return this.nodes;
		}

				public void setNodes(List<String> nodes) {
			this.nodes = nodes;
		}

				public int getQuorum() {
			return this.quorum;
		}

				public void setQuorum(int quorum) {
			this.quorum = quorum;
		}

				public Duration getCommandTimeout() {
			return this.commandTimeout;
		}

				public void setCommandTimeout(Duration commandTimeout) {
			this.commandTimeout = commandTimeout;
		}

				public int getMinReplicas() {
			return this.minReplicas;
		}

				public void setMinReplicas(int minReplicas) {
			this.minReplicas = minReplicas;
		}

				public Duration getReplicaTimeout() {
			return this.replicaTimeout;
		}

				public void setReplicaTimeout(Duration replicaTimeout) {
			this.replicaTimeout = replicaTimeout;
		}

		/**
		 * Returns whether releases use shard channels on a Redis 7 cluster.
		 * @return {@code true} if they do (the default)
		 */
		public boolean isShardedReleases() {
			return this.shardedReleases;
		}

		/**
		 * Sets whether releases use shard channels on a Redis 7 cluster.
		 * @param shardedReleases whether they do
		 */
		public void setShardedReleases(boolean shardedReleases) {
			this.shardedReleases = shardedReleases;
		}

		void validate(Errors errors) {
			if (this.minReplicas < 0) {
				reject(errors, "redis.minReplicas", "range", "must be zero or positive, was " + this.minReplicas);
			}
			requirePositive(errors, "redis.replicaTimeout", this.replicaTimeout);
			requirePositive(errors, "redis.commandTimeout", this.commandTimeout);
			if (this.quorum < 0) {
				reject(errors, "redis.quorum", "range", "must be zero (majority) or positive, was " + this.quorum);
			}
			for (int i = 0; i < this.nodes.size(); i++) {
				try {
					RedisNodeUrl.parse(this.nodes.get(i));
				}
				catch (IllegalArgumentException ex) {
					// Not a field error: its rejected value (the URL, password included) would be printed.
					errors.reject("url", propertyName("redis.nodes[" + i + "]") + " " + ex.getMessage());
				}
			}
			if (this.mode == RedisMode.REDLOCK) {
				if (this.nodes.isEmpty()) {
					reject(errors, "redis.nodes", "required", "must list the Redis URLs of the masters in redlock mode");
				}
				else if (this.quorum > this.nodes.size()) {
					reject(errors, "redis.quorum", "range",
							"must not exceed the number of locksmith.redis.nodes (" + this.nodes.size() + "), was "
									+ this.quorum);
				}
				else if (this.quorum > 0 && this.quorum <= this.nodes.size() / 2) {
					reject(errors, "redis.quorum", "majority",
							"must be 0 (a majority) or more than half of the " + this.nodes.size()
									+ " locksmith.redis.nodes, was " + this.quorum
									+ ": two disjoint sets of masters could grant the same lock");
				}
			}
		}

	}

	/**
	 * Redis deployment modes.
	 */
	public enum RedisMode {

		/** One Redis, through the application's {@code RedisConnectionFactory}. */
		SINGLE,

		/** Redlock over the independent masters listed in {@code locksmith.redis.nodes}. */
		REDLOCK

	}

	/**
	 * {@code @DistributedLock} aspect settings.
	 */
	public static class Aspect {

		/**
		 * Whether methods annotated with @DistributedLock are locked.
		 */
		private boolean enabled = true;

		/**
		 * Order of the lock advice; lower runs first. The default runs outside @Transactional (whose
		 * advice has the lowest precedence), so a lock outlives the transaction it guards.
		 */
		private int order = Ordered.LOWEST_PRECEDENCE - 100;

				public boolean isEnabled() {
			return this.enabled;
		}

				public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

				public int getOrder() {
			return this.order;
		}

				public void setOrder(int order) {
			this.order = order;
		}

	}

	/**
	 * etcd provider settings ({@code locksmith.provider=etcd}, needs {@code io.etcd:jetcd-core}).
	 */
	public static class Etcd {

		/**
		 * etcd client endpoints, for example http://etcd-1:2379 (https:// with an SSL bundle for TLS).
		 */
		private List<String> endpoints = new ArrayList<>(List.of("http://localhost:2379"));

		/**
		 * Key prefix under which all lock keys are stored in etcd; every process sharing locks must use the same.
		 */
		private String namespace = EtcdLockProvider.DEFAULT_NAMESPACE;

		/**
		 * User name for etcd authentication (none when empty).
		 */
		private @Nullable String username;

		/**
		 * Password for etcd authentication.
		 */
		private @Nullable String password;

		/**
		 * Name of the Spring Boot SSL bundle (spring.ssl.bundle.*) used for TLS to etcd; https:// endpoints
		 * without one use the JVM's default trust store.
		 */
		private @Nullable String sslBundle;

		/**
		 * How long establishing a connection to an etcd endpoint may take.
		 */
		private Duration connectTimeout = Duration.ofSeconds(2);

		/**
		 * How long one etcd call may take before the backend counts as unavailable.
		 */
		private Duration requestTimeout = Duration.ofSeconds(5);

				public List<String> getEndpoints() {
			return this.endpoints;
		}

				public void setEndpoints(List<String> endpoints) {
			this.endpoints = endpoints;
		}

				public String getNamespace() {
			return this.namespace;
		}

				public void setNamespace(String namespace) {
			this.namespace = namespace;
		}

				public @Nullable String getUsername() {
			return this.username;
		}

				public void setUsername(@Nullable String username) {
			this.username = username;
		}

				public @Nullable String getPassword() {
			return this.password;
		}

				public void setPassword(@Nullable String password) {
			this.password = password;
		}

				public @Nullable String getSslBundle() {
			return this.sslBundle;
		}

				public void setSslBundle(@Nullable String sslBundle) {
			this.sslBundle = sslBundle;
		}

				public Duration getConnectTimeout() {
			return this.connectTimeout;
		}

				public void setConnectTimeout(Duration connectTimeout) {
			this.connectTimeout = connectTimeout;
		}

				public Duration getRequestTimeout() {
			return this.requestTimeout;
		}

				public void setRequestTimeout(Duration requestTimeout) {
			this.requestTimeout = requestTimeout;
		}

		void validate(Errors errors) {
			if (this.endpoints == null || this.endpoints.isEmpty()) {
				reject(errors, "etcd.endpoints", "required", "must list at least one etcd endpoint");
			}
			else {
				for (int i = 0; i < this.endpoints.size(); i++) {
					String endpoint = this.endpoints.get(i);
					if (endpoint == null || !(endpoint.startsWith("http://") || endpoint.startsWith("https://"))) {
						reject(errors, "etcd.endpoints", "url", "[" + i + "] must be an http:// or https:// URL, was '"
								+ endpoint + "'");
					}
				}
			}
			if (this.namespace == null || this.namespace.isEmpty() || this.namespace.indexOf('\0') >= 0) {
				reject(errors, "etcd.namespace", "required", "must be non-empty and free of NUL characters");
			}
			requirePositive(errors, "etcd.connectTimeout", this.connectTimeout);
			requirePositive(errors, "etcd.requestTimeout", this.requestTimeout);
		}

	}

	/**
	 * Kubernetes provider settings ({@code locksmith.provider=kubernetes}, needs lock-kubernetes and
	 * {@code io.fabric8:kubernetes-client} with {@code kubernetes-httpclient-jdk}).
	 */
	public static class Kubernetes {

		/**
		 * Namespace of the lock objects; empty for the client's (in a pod, the pod's own namespace from the
		 * service-account files; outside, the kubeconfig context's).
		 */
		private @Nullable String namespace;

		/**
		 * Kind of object that holds a lock: lease (coordination.k8s.io/v1 Lease) or mutex (locksmith.dev/v1
		 * Mutex, whose CustomResourceDefinition must be installed).
		 */
		private Resource resource = Resource.LEASE;

		/**
		 * How far another client's clock may run ahead of the holder's: a lease still blocks others until its
		 * expiry plus this allowance (0 to 1 hour; takeover after a crash is that much later).
		 */
		private Duration clockSkewAllowance = Duration.ofSeconds(1);

		/**
		 * Prefix of the object names (1 to 40 lower-case letters, digits or '-').
		 */
		private String namePrefix = "locksmith-";

		/**
		 * Returns the namespace.
		 * @return the namespace, or {@code null} for the client's
		 */
		public @Nullable String getNamespace() {
			return this.namespace;
		}

		/**
		 * Sets the namespace.
		 * @param namespace the namespace, or {@code null} for the client's
		 */
		public void setNamespace(@Nullable String namespace) {
			this.namespace = namespace;
		}

		/**
		 * Returns the resource kind.
		 * @return the resource kind
		 */
		public Resource getResource() {
			return this.resource;
		}

		/**
		 * Sets the resource kind.
		 * @param resource the resource kind
		 */
		public void setResource(Resource resource) {
			this.resource = resource;
		}

		/**
		 * Returns the clock-skew allowance.
		 * @return the allowance
		 */
		public Duration getClockSkewAllowance() {
			return this.clockSkewAllowance;
		}

		/**
		 * Sets the clock-skew allowance.
		 * @param clockSkewAllowance the allowance
		 */
		public void setClockSkewAllowance(Duration clockSkewAllowance) {
			this.clockSkewAllowance = clockSkewAllowance;
		}

		/**
		 * Returns the object name prefix.
		 * @return the prefix
		 */
		public String getNamePrefix() {
			return this.namePrefix;
		}

		/**
		 * Sets the object name prefix.
		 * @param namePrefix the prefix
		 */
		public void setNamePrefix(String namePrefix) {
			this.namePrefix = namePrefix;
		}

		void validate(Errors errors) {
			if (this.resource == null) {
				reject(errors, "kubernetes.resource", "required", "must be lease or mutex");
			}
			requireNotNegative(errors, "kubernetes.clockSkewAllowance", this.clockSkewAllowance);
			if (this.clockSkewAllowance != null && this.clockSkewAllowance.compareTo(Duration.ofHours(1)) > 0) {
				reject(errors, "kubernetes.clockSkewAllowance", "tooLong",
						"must be at most 1 hour, was " + this.clockSkewAllowance);
			}
			if (this.namePrefix == null || !this.namePrefix.matches("[a-z0-9][a-z0-9-]{0,39}")) {
				reject(errors, "kubernetes.namePrefix", "invalid",
						"must be 1 to 40 lower-case letters, digits or '-', starting with a letter or digit");
			}
		}

		/**
		 * The kinds of Kubernetes object a lock can live in.
		 */
		public enum Resource {

			/** coordination.k8s.io/v1 Lease, the object client-go's leader election uses. */
			LEASE,

			/** locksmith.dev/v1 Mutex, the custom resource of lock-kubernetes/deploy/mutex-crd.yaml. */
			MUTEX

		}

	}

	/**
	 * Spring application events for lock events ({@code locksmith.events.*}).
	 */
	public static class Events {

		/**
		 * Whether lock events (acquired, released, lost, not acquired, renewal failed) are published as Spring
		 * application events.
		 */
		private boolean enabled;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Renewal of auto-extended leases ({@code locksmith.renewal.*}); a lock's own
	 * {@code LockOptions.withRenewalPeriod}/{@code withRenewalTimeout} take precedence.
	 */
	public static class Renewal {

		/**
		 * How long after a grant or a successful renewal a lease is renewed again. Must be shorter than the
		 * default TTL. A third of the lease TTL when not set.
		 */
		private @Nullable Duration period;

		/**
		 * How long a renewal's answer is awaited before it counts as failed and is retried. Must be shorter than
		 * the default TTL minus the renewal period. Until the lease's local deadline when not set.
		 */
		private @Nullable Duration timeout;

		public @Nullable Duration getPeriod() {
			return this.period;
		}

		public void setPeriod(@Nullable Duration period) {
			this.period = period;
		}

		public @Nullable Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(@Nullable Duration timeout) {
			this.timeout = timeout;
		}

		void validate(Errors errors, @Nullable Duration defaultTtl) {
			if (this.period != null) {
				requirePositive(errors, "renewal.period", this.period);
			}
			if (this.timeout != null) {
				requirePositive(errors, "renewal.timeout", this.timeout);
			}
			if (defaultTtl == null || defaultTtl.isNegative() || defaultTtl.isZero() || errors.hasFieldErrors("renewal.*")) {
				return;
			}
			try {
				LockOptions.requireRenewalFits("locksmith.renewal", defaultTtl, this.period, this.timeout);
			}
			catch (IllegalArgumentException ex) {
				String field = (this.period != null && this.period.compareTo(defaultTtl) >= 0) ? "renewal.period"
						: "renewal.timeout";
				reject(errors, field, "tooLong", "must fit locksmith.default-ttl: " + ex.getMessage());
			}
		}

	}

}
