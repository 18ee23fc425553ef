package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * A {@link LockProvider} over N independent Redis masters (the Redlock algorithm). Each operation runs
 * the same scripts as {@link RedisLockProvider} on every node in parallel; a lease counts as granted,
 * released or extended when a quorum of nodes (by default a majority) agree, and the grant is only kept
 * when the time the round took, plus a clock-drift allowance of 1% of the TTL plus 2 ms, is below the
 * TTL. A failed attempt is undone on every node.
 *
 * <p><b>Semaphores.</b> A majority does not keep a semaphore of L permits safe: holders could spread over
 * the nodes so that each node stays within L while more than L permits are out. Permit leases are
 * therefore only granted (and count as extended or released) on more than N·L/(L+1) nodes: for three
 * nodes, two for a limit of 1 but all three for a limit of 2 or more, so such a semaphore is unavailable
 * while a node is down.
 *
 * <p><b>Fencing.</b> The token of a grant is the highest token among the nodes that granted it. Each
 * node's counter is strictly increasing, and any two quorums share a node, but the token reported for a
 * later grant is not guaranteed to exceed an earlier one: the two may come from different nodes.
 * Because every node seeds its counter from its own microsecond clock, tokens do increase in practice
 * as long as the masters' clocks agree to within the time between two grants, but that is not a promise.
 * Use the single-server provider (or JDBC) where a storage system must reject stale writers.
 *
 * <p><b>Re-sent acquisitions.</b> Each node's script is idempotent per lease id: a node that still holds
 * the lease keeps it with its own token and sets its expiry to now + ttl; a node that does not hold it
 * grants it afresh (with a new token) if nothing conflicts, or denies. The usual rules then apply to the
 * round as a whole: it counts as granted only when the required number of nodes hold the lease and the
 * round finished in time, otherwise the lease is released on every node; and its token is, as for any
 * grant, the highest token among the nodes that now hold it (what {@link #inspect} reports). So a re-send
 * that finds the lease on every node returns the first grant's token; one that also grants it on a node
 * that lacked it may return a higher token. Nothing is taken twice on any node.
 *
 * <p><b>Quorum.</b> A custom quorum must be more than half of the nodes; with half or fewer, two disjoint
 * sets of masters could grant the same lock. Node calls run on one bounded pool per node
 * ({@value #THREADS_PER_NODE} threads); give the node factories short command timeouts
 * ({@link RedisClientSettings}), so a dead or hung master costs at most one timeout per call.
 *
 * <p>Thread-safe. {@link #close()} stops the subscriptions and the fan-out threads; the connection
 * factories stay open.
 */
public final class RedlockLockProvider implements LockProvider {

	/**
	 * Fan-out threads per node, each node with a pool of its own, so a slow or dead node holds only its own
	 * threads. Each call is bounded by the node client's command timeout; calls beyond a node's threads and
	 * queue fail that node's part at once (counted like a node that did not answer).
	 */
	static final int THREADS_PER_NODE = 16;

	/** Node calls that may wait for a fan-out thread, per node. */
	static final int QUEUED_PER_NODE = 256;

	private final List<RedisLeaseNode> nodes;

	private final List<RedisReleaseListener> listeners;

	private final int quorum;

	private final ReleaseSignals signals = new ReleaseSignals();

	/** One fan-out pool per node, in node order. */
	private final List<ExecutorService> executors = new ArrayList<>();

	/**
	 * Lease id → nodes that must hold it and until when it is valid, for permit leases (which may need more
	 * than the quorum). Entries go when the lease is released, when a renewal does not extend it, and when
	 * their validity ran out (swept at the next permit grant), so leases lost without a release are not
	 * kept. A permit lease without an entry needs every node to count as extended.
	 */
	private final Map<String, PermitQuorum> permitQuorums = new ConcurrentHashMap<>();

	private final KeyListing listing = new KeyListing();

	private RedlockLockProvider(Builder builder) {
		this.nodes = new ArrayList<>();
		this.listeners = new ArrayList<>();
		this.quorum = (builder.quorum > 0) ? builder.quorum : builder.nodes.size() / 2 + 1;
		for (RedisConnectionFactory factory : builder.nodes) {
			this.executors.add(fanOutPool(this.executors.size()));
			RedisLeaseNode node = new RedisLeaseNode(factory, builder.channel);
			node.warnIfKeysMayBeEvicted();
			this.nodes.add(node);
			RedisReleaseListener listener = new RedisReleaseListener(factory, builder.channel, this.signals,
					RedlockLockProvider::releasedKey);
			this.listeners.add(listener);
			listener.start();
		}
	}

	/**
	 * Starts a builder.
	 * @param nodes one connection factory per independent master (their lifecycle stays with the caller)
	 * @return the builder
	 */
	public static Builder builder(List<RedisConnectionFactory> nodes) {
		return new Builder(nodes);
	}

	/**
	 * Returns {@code redlock}.
	 * @return the provider name
	 */
	@Override
	public String name() {
		return "redlock";
	}

	/**
	 * Returns how many nodes must agree.
	 * @return the quorum
	 */
	public int quorum() {
		return this.quorum;
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		RedisLimits.checkRequest(request);
		long start = System.nanoTime();
		List<Outcome<Grant>> outcomes = onAll((node) -> node.acquire(request, null, false));
		boolean inTime = inTime(start, request.ttl());
		int granted = 0;
		long token = 0;
		List<Duration> hints = new ArrayList<>();
		for (Outcome<Grant> outcome : outcomes) {
			Grant grant = outcome.value;
			if (grant != null && grant.isGranted()) {
				granted++;
				token = Math.max(token, grant.fencingToken());
			}
			else if (grant != null) {
				hints.add((grant.retryAfter() != null) ? grant.retryAfter() : Duration.ZERO);
			}
		}
		int required = requiredQuorum(request);
		if (granted >= required && inTime) {
			if (request.type() == LeaseType.PERMITS) {
				sweepPermitQuorums();
				this.permitQuorums.put(request.leaseId(), new PermitQuorum(required, start + request.ttl().toNanos()));
			}
			return Grant.granted(token);
		}
		onAll((node) -> node.release(request.ref()));
		requireAnswered(request.key(), "acquire", outcomes, required);
		if (!inTime || granted + hints.size() < required) {
			return Grant.denied(Duration.ZERO);
		}
		Collections.sort(hints);
		return Grant.denied(hints.get(required - granted - 1));
	}

	@Override
	public boolean release(LeaseRef lease) {
		RedisLimits.checkLease("release", lease);
		List<Outcome<Boolean>> outcomes = onAll((node) -> node.release(lease));
		PermitQuorum permits = this.permitQuorums.remove(lease.leaseId());
		if (count(outcomes) >= ((permits != null) ? permits.required : this.quorum)) {
			return true;
		}
		requireQuorumAnswered(lease.key(), "release", outcomes);
		return false;
	}

	/**
	 * Lowers a permit lease on every node. A node that misses it keeps counting the old permits, which only
	 * over-counts; the lease counts as live when as many nodes hold it as its grant needed.
	 */
	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		LockProvider.checkReducePermits("RedlockLockProvider.reducePermits", lease, permits);
		RedisLimits.checkLease("reducePermits", lease);
		List<Outcome<Boolean>> outcomes = onAll((node) -> node.reducePermits(lease, permits));
		PermitQuorum quorum = this.permitQuorums.get(lease.leaseId());
		if (count(outcomes) >= ((quorum != null) ? quorum.required : this.nodes.size())) {
			return true;
		}
		requireQuorumAnswered(lease.key(), "reducePermits", outcomes);
		return false;
	}

	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		RedisLimits.checkLease("extend", lease);
		RedisLimits.checkTtl("extend", lease.key(), ttl);
		return renew(List.of(new Renewal(lease, ttl))).contains(lease);
	}

	/**
	 * Extends the leases on every node in parallel, one script call per node; a lease counts as extended
	 * when a quorum extended it in time.
	 * @param renewals the leases and their new TTLs
	 * @return the leases that are now extended on a quorum
	 */
	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		if (renewals.isEmpty()) {
			return Set.of();
		}
		renewals.forEach(RedisLimits::checkRenewal);
		long start = System.nanoTime();
		List<Outcome<boolean[]>> outcomes = onAll((node) -> node.extend(renewals));
		requireQuorumAnswered(renewals.get(0).lease().key(), "renew", outcomes);
		long elapsed = System.nanoTime() - start;
		Set<LeaseRef> extended = new HashSet<>();
		for (int i = 0; i < renewals.size(); i++) {
			int count = 0;
			for (Outcome<boolean[]> outcome : outcomes) {
				if (outcome.value != null && outcome.value[i]) {
					count++;
				}
			}
			Renewal renewal = renewals.get(i);
			String leaseId = renewal.lease().leaseId();
			PermitQuorum permits = this.permitQuorums.get(leaseId);
			// A permit lease whose entry is gone needs every node: never less than it was granted with.
			int required = (permits != null) ? permits.required
					: (renewal.lease().type() == LeaseType.PERMITS) ? this.nodes.size()
							: this.quorum;
			if (count >= required && elapsed + drift(renewal.ttl()) < renewal.ttl().toNanos()) {
				extended.add(renewal.lease());
				if (permits != null) {
					this.permitQuorums.replace(leaseId, permits,
							new PermitQuorum(permits.required, start + renewal.ttl().toNanos()));
				}
			}
			else if (permits != null) {
				this.permitQuorums.remove(leaseId, permits);
			}
		}
		return extended;
	}

	/**
	 * Reads the key on every node and reports the leases that a quorum holds, each with the highest token
	 * and the earliest expiry any of those nodes reports.
	 * @param key the backend key
	 * @return the key's state
	 */
	@Override
	public LockInfo inspect(String key) {
		RedisLimits.checkKey("inspect", key);
		return read(key);
	}

	private LockInfo read(String key) {
		List<Outcome<List<LeaseInfo>>> outcomes = onAll((node) -> node.inspect(key));
		requireQuorumAnswered(key, "inspect", outcomes);
		Map<String, List<LeaseInfo>> byId = new LinkedHashMap<>();
		for (Outcome<List<LeaseInfo>> outcome : outcomes) {
			if (outcome.value != null) {
				outcome.value.forEach((lease) -> byId.computeIfAbsent(lease.leaseId(), (id) -> new ArrayList<>()).add(lease));
			}
		}
		List<LeaseInfo> leases = new ArrayList<>();
		for (List<LeaseInfo> copies : byId.values()) {
			if (copies.size() >= this.quorum) {
				leases.add(merge(copies));
			}
		}
		leases.sort((a, b) -> Long.compare(a.fencingToken(), b.fencingToken()));
		return LockInfo.of(key, leases);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		RedisLimits.checkKey("list", keyPrefix);
		return this.listing.page(keyPrefix, offset, limit, () -> {
			List<Outcome<List<String>>> outcomes = onAll((node) -> node.scan(keyPrefix));
			requireQuorumAnswered(keyPrefix + "*", "list", outcomes);
			Set<String> union = new HashSet<>();
			outcomes.forEach((outcome) -> {
				if (outcome.value != null) {
					union.addAll(outcome.value);
				}
			});
			return union;
		}, this::read);
	}

	@Override
	public boolean forceRelease(String key) {
		RedisLimits.checkKey("forceRelease", key);
		List<Outcome<Boolean>> outcomes = onAll((node) -> node.forceRelease(key));
		requireQuorumAnswered(key, "force-release", outcomes);
		return count(outcomes) > 0;
	}

	/**
	 * Returns {@code true}: every node publishes releases.
	 * @return {@code true}
	 */
	@Override
	public boolean notifiesReleases() {
		return true;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return this.signals.subscribe(key);
	}

	/**
	 * Subscribes a waiter for a lease of {@code type}: a release wakes every shared waiter but one
	 * exclusive waiter (see {@link ReleaseSignals}).
	 * @param key the backend key
	 * @param type the lease type the waiter wants
	 * @return an armed subscription
	 */
	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		return this.signals.subscribe(key, type);
	}

	/**
	 * Checks that a quorum of nodes answers.
	 * @throws LockProviderUnavailableException if fewer than a quorum answer
	 */
	@Override
	public void ping() {
		requireQuorumAnswered("ping", "ping", onAll((node) -> {
			node.ping();
			return Boolean.TRUE;
		}));
	}

	/**
	 * Stops the subscriptions and the fan-out threads. The connection factories stay open.
	 */
	@Override
	public void close() {
		this.listeners.forEach(RedisReleaseListener::close);
		this.executors.forEach(ExecutorService::shutdown);
	}

	/**
	 * Returns how many permit leases the provider remembers a larger quorum for, for tests.
	 * @return the count
	 */
	int trackedPermitLeases() {
		return this.permitQuorums.size();
	}

	@Override
	public String toString() {
		return "RedlockLockProvider[nodes=" + this.nodes.size() + ", quorum=" + this.quorum + "]";
	}

	/** A release message's key; a hand-off (of a plain provider sharing the channel) wakes nobody here. */
	private static @Nullable String releasedKey(byte[] body) {
		String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
		return (!text.isEmpty() && text.charAt(0) == LeaseScripts.HAND_OFF_MARK) ? null : text;
	}

	private <T> List<Outcome<T>> onAll(Function<RedisLeaseNode, T> action) {
		List<CompletableFuture<Outcome<T>>> futures = new ArrayList<>(this.nodes.size());
		for (int i = 0; i < this.nodes.size(); i++) {
			RedisLeaseNode node = this.nodes.get(i);
			try {
				futures.add(CompletableFuture.supplyAsync(() -> {
					try {
						return new Outcome<>(action.apply(node), null);
					}
					catch (LockProviderUnavailableException ex) {
						return new Outcome<>(null, ex);
					}
				}, this.executors.get(i)));
			}
			catch (RejectedExecutionException ex) {
				futures.add(CompletableFuture.completedFuture(new Outcome<>(null, new LockProviderUnavailableException(
						"redlock", "Redlock node " + i + " has " + THREADS_PER_NODE + " calls running and "
								+ QUEUED_PER_NODE + " queued; call refused",
						ex))));
			}
		}
		List<Outcome<T>> outcomes = new ArrayList<>(futures.size());
		for (CompletableFuture<Outcome<T>> future : futures) {
			try {
				outcomes.add(future.join());
			}
			catch (CompletionException ex) {
				throw (ex.getCause() instanceof RuntimeException runtime) ? runtime : ex;
			}
		}
		return outcomes;
	}

	private static ExecutorService fanOutPool(int node) {
		AtomicInteger threads = new AtomicInteger();
		ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS_PER_NODE, THREADS_PER_NODE, 60, TimeUnit.SECONDS,
				new ArrayBlockingQueue<>(QUEUED_PER_NODE), (task) -> {
					Thread thread = new Thread(task, "locksmith-redlock-" + node + "-" + threads.incrementAndGet());
					thread.setDaemon(true);
					return thread;
				});
		pool.allowCoreThreadTimeOut(true);
		return pool;
	}

	private void requireQuorumAnswered(String key, String operation, List<? extends Outcome<?>> outcomes) {
		requireAnswered(key, operation, outcomes, this.quorum);
	}

	private void requireAnswered(String key, String operation, List<? extends Outcome<?>> outcomes, int required) {
		int failed = 0;
		LockProviderUnavailableException first = null;
		for (Outcome<?> outcome : outcomes) {
			if (outcome.error != null) {
				failed++;
				first = (first != null) ? first : outcome.error;
			}
		}
		if (this.nodes.size() - failed < required) {
			throw new LockProviderUnavailableException(key, "Redlock " + operation + " of '" + KeyText.forMessage(key)
					+ "' failed: only "
					+ (this.nodes.size() - failed) + " of " + this.nodes.size() + " Redis nodes answered, "
					+ required + " needed", first);
		}
	}

	/**
	 * Returns how many nodes must grant a request. For permits of a semaphore with limit L, a majority is
	 * not enough: holders could spread over the nodes so that each node stays within L while more than L
	 * permits are out. That is impossible only when every holder is on more than N·L/(L+1) nodes.
	 */
	private int requiredQuorum(LeaseRequest request) {
		if (request.type() != LeaseType.PERMITS || request.limit() <= 1) {
			return this.quorum;
		}
		long nodes = this.nodes.size();
		long limit = request.limit(); // as a long: limit + 1 overflows an int for Integer.MAX_VALUE
		int safe = (int) (nodes * limit / (limit + 1) + 1);
		return Math.max(this.quorum, safe);
	}

	private void sweepPermitQuorums() {
		long now = System.nanoTime();
		this.permitQuorums.values().removeIf((entry) -> entry.validUntilNanos - now < 0);
	}

	private static int count(List<Outcome<Boolean>> outcomes) {
		int count = 0;
		for (Outcome<Boolean> outcome : outcomes) {
			if (Boolean.TRUE.equals(outcome.value)) {
				count++;
			}
		}
		return count;
	}

	private static boolean inTime(long startNanos, Duration ttl) {
		return System.nanoTime() - startNanos + drift(ttl) < ttl.toNanos();
	}

	private static long drift(Duration ttl) {
		return ttl.toNanos() / 100 + TimeUnit.MILLISECONDS.toNanos(2);
	}

	private static LeaseInfo merge(List<LeaseInfo> copies) {
		LeaseInfo merged = copies.get(0);
		long token = merged.fencingToken();
		var expiresAt = merged.expiresAt();
		for (LeaseInfo copy : copies) {
			token = Math.max(token, copy.fencingToken());
			expiresAt = copy.expiresAt().isBefore(expiresAt) ? copy.expiresAt() : expiresAt;
		}
		return new LeaseInfo(merged.leaseId(), merged.owner(), merged.type(), merged.permits(), token,
				merged.lockedAt(), expiresAt, merged.metadata());
	}

	private record PermitQuorum(int required, long validUntilNanos) {
	}

	private record Outcome<T>(@Nullable T value, @Nullable LockProviderUnavailableException error) {
	}

	/**
	 * Builds a {@link RedlockLockProvider}.
	 */
	public static final class Builder {

		private final List<RedisConnectionFactory> nodes;

		private int quorum;

		private String channel = RedisLockProvider.DEFAULT_CHANNEL;

		private Builder(List<RedisConnectionFactory> nodes) {
			Objects.requireNonNull(nodes, "nodes");
			if (nodes.isEmpty()) {
				throw new IllegalArgumentException("nodes must name at least one Redis master");
			}
			this.nodes = List.copyOf(nodes);
		}

		/**
		 * Sets how many nodes must agree; 0 (the default) means a majority. The quorum must be more than half
		 * of the nodes: with half or fewer, two disjoint sets of masters could grant the same lock.
		 * @param quorum 0, or more than half of the nodes and at most all of them
		 * @return this builder
		 * @throws IllegalArgumentException if out of range
		 */
		public Builder quorum(int quorum) {
			int size = this.nodes.size();
			if (quorum < 0 || quorum > size) {
				throw new IllegalArgumentException(
						"quorum must be between 0 (majority) and " + size + ", but was " + quorum);
			}
			if (quorum > 0 && quorum <= size / 2) {
				throw new IllegalArgumentException("quorum " + quorum + " is not more than half of the " + size
						+ " nodes: two disjoint sets of masters could grant the same lock; use at least " + (size / 2 + 1)
						+ " (or 0 for a majority)");
			}
			this.quorum = quorum;
			return this;
		}

		/**
		 * Sets the pub/sub channel on which releases are published (default
		 * {@value RedisLockProvider#DEFAULT_CHANNEL}).
		 * @param channel the channel name, not blank
		 * @return this builder
		 * @throws IllegalArgumentException if blank
		 */
		public Builder channel(String channel) {
			this.channel = RedisKeys.requireChannel(channel);
			return this;
		}

		/**
		 * Builds the provider and starts one release subscription per node.
		 * @return the provider
		 */
		public RedlockLockProvider build() {
			return new RedlockLockProvider(this);
		}

	}

}
