package dev.locksmith.provider.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

/**
 * A {@link LockProvider} on an etcd v3 cluster, through the official Java client jetcd.
 *
 * <p><b>Leases and TTL.</b> Every lock lease is one key (layout in {@link EtcdKeys}) attached to its own
 * etcd lease (granted for it, or shared with the other leases of one renewal tick), so the cluster deletes it
 * when the TTL runs out, by the leader's clock. etcd TTLs are whole
 * seconds with a server minimum (about 1.5 × the election timeout, rounded up: 2 s with etcd's defaults): a
 * TTL is rounded <em>up</em> to whole seconds, and the server may raise it to its minimum. A lease never
 * expires earlier than asked, but may live up to a second (or up to the server minimum) longer.
 *
 * <p><b>Grant.</b> One etcd transaction decides a grant; etcd compares single keys only, so:
 * <ul>
 * <li>A write lease (a mutex): {@code If(createRevision(w) == 0 && createRevision(g) == 0 && version(base) > 0)
 * Then(Put(w, record, lease), Get(base)) Else(Get(prefix), Get(base))}. The guard {@code g} is absent only
 * when no read or permit lease is live (invariant below), so the fast path is exact.</li>
 * <li>Otherwise (readers, permits, or a writer after readers) the decision is optimistic: the {@code Else}
 * branch (or a read) returns the lock's keys at revision R; the provider decides in Java (no write lease;
 * no permits for a reader; no readers and {@code used + n <= limit} for permits) and commits with
 * {@code If(createRevision(w) == 0 && modRevision(g) == g_R)}. Every read or permit grant rewrites
 * {@code g} in the same transaction, so a shared grant after R fails the compare and the provider reads
 * again. Releases and expiry only free capacity, so they cannot make a commit over-grant.</li>
 * <li><b>Invariant</b> "{@code g} absent ⇒ no read or permit lease is live": {@code g} has no etcd lease (it
 * never expires), every shared grant writes it, and only a writer's commit deletes it, after seeing no
 * shared lease at R with {@code g} unchanged since. The cost: one small guard key stays per read-write lock
 * or semaphore name until the next writer on that name.</li>
 * </ul>
 * An attempt that finds a live lease with its own lease id (a re-sent attempt whose reply was lost) returns
 * that grant: same token, the record re-attached to the new attempt's etcd lease (so the expiry follows the
 * re-send's TTL), nothing taken twice.
 *
 * <p><b>Fencing token</b> = {@code base + createRevision} of the lease's key. The create revision is the
 * global revision of the granting transaction: strictly increasing across all keys and clients, and kept
 * across restarts with the data. {@code base} (key {@code ns \0 base}, read in the same transaction) makes
 * tokens survive a <em>wiped</em> data directory, where revisions restart at 1: when the key is missing the
 * first client to notice writes {@code max(wall-clock ms × 10^6, highest token it has seen + 1)}. Tokens of a
 * new data set are then above the old ones as long as the old one issued fewer than 10^9 revisions per
 * second of its life and the writer's clock did not run backwards across the wipe.
 *
 * <p><b>Release</b>: {@code If(value(key) == record) Then(Delete(key))} (the record holds the lease id, so
 * only the holder's own lease matches), then the etcd lease is revoked without waiting if it was granted
 * for this lease alone. <b>Extend</b> to a new TTL: a new etcd lease and
 * {@code If(value(key) == record) Then(Put(key, record, newLease))}: the create revision, hence the token,
 * is kept. <b>Renewal</b> (the engine's batched tick): the same re-attachment for every due lease, to one
 * new etcd lease per distinct TTL (the "tick lease"), as nested transactions in one {@code Txn} per 100
 * leases (each also comparing the key's mod revision after our last write, so a late request of an earlier
 * renewal, applied after a later one, fails instead of moving the key back to an older, earlier-expiring
 * etcd lease; after a renewal whose answer was lost, the next one reads the key first): one
 * {@code LeaseGrant} and one {@code Txn} round trip however many leases are due (measured:
 * 250 leases = 1 {@code LeaseGrant} + 3 {@code Txn}, sent together). A lease whose key no longer holds its
 * record (released elsewhere, force-released, expired, wiped) fails its compare and is reported lost. etcd's
 * own keep-alive is not used: it cannot change a TTL, and jetcd opens one stream per keep-alive request,
 * which measured linear in the number of leases (200 leases: 180 ms against 0.7 ms for one).
 *
 * <p><b>Waiting</b>: one watch per provider on the whole namespace. A deleted lease key (release, expiry,
 * force-release) wakes the key's waiters through {@link ReleaseSignals}; the deletion of a lease this
 * provider holds and did not release itself is reported to the engine as a loss at once. A denial carries
 * the blocking leases' shortest remaining TTL (one {@code LeaseTimeToLive} read), so a waiter sleeps until
 * a release or that expiry instead of polling. When the data set is replaced (wiped) the watch restarts.
 *
 * <p><b>Unavailable</b>: every call waits at most the request timeout, then throws
 * {@link LockProviderUnavailableException}. Lock keys are at most {@value EtcdKeys#MAX_KEY_BYTES} UTF-8 bytes
 * without NUL characters, and metadata at most {@value #MAX_METADATA_BYTES} bytes.
 *
 * <p>Thread-safe. {@link #close()} stops the watch; the jetcd {@link Client} stays open (its owner closes it).
 */
public final class EtcdLockProvider implements LockProvider {

	/** The default namespace (key prefix) under which all lock keys are stored. */
	public static final String DEFAULT_NAMESPACE = "locksmith/";

	/** The most metadata accepted per lease, in encoded bytes. */
	public static final int MAX_METADATA_BYTES = 16 * 1024;

	/** The longest lease id or owner id accepted, in UTF-8 bytes. */
	public static final int MAX_ID_BYTES = 256;

	/** The longest TTL etcd accepts, in seconds. */
	private static final long MAX_TTL_SECONDS = 9_000_000_000L;

	private static final int MAX_ATTEMPTS = 32;

	private static final int LIST_PAGE = 1000;

	/** Nested transactions per renewal transaction (etcd's default limit is 128 operations). */
	private static final int MAX_RENEWALS_PER_TXN = 100;

	private static final Logger logger = LoggerFactory.getLogger(EtcdLockProvider.class);

	private final KV kv;

	private final Lease leases;

	private final EtcdKeys keys;

	private final Duration requestTimeout;

	private final ReleaseSignals signals = new ReleaseSignals();

	/** The leases this provider granted and still holds, by lease id. */
	private final Map<String, Held> held = new ConcurrentHashMap<>();

	private final AtomicLong highestToken = new AtomicLong();

	/** The token base last read: a different one means a new data set, whose revisions restarted. */
	private final AtomicLong lastBase = new AtomicLong();

	private final EtcdReleaseWatch watch;

	private volatile Consumer<LeaseRef> lossListener = (ref) -> {
	};

	private EtcdLockProvider(Builder builder) {
		this.kv = builder.client.getKVClient();
		this.leases = builder.client.getLeaseClient();
		this.keys = new EtcdKeys(builder.namespace);
		this.requestTimeout = builder.requestTimeout;
		this.watch = new EtcdReleaseWatch(builder.client, this.keys, this.signals, this::deletedByOthers);
		this.watch.start(currentRevisionOrZero());
	}

	/**
	 * Starts a builder.
	 * @param client the jetcd client (its lifecycle stays with the caller)
	 * @return the builder
	 */
	public static Builder builder(Client client) {
		return new Builder(client);
	}

	/**
	 * Returns {@code etcd}.
	 * @return the provider name
	 */
	@Override
	public String name() {
		return "etcd";
	}

	/**
	 * Tries once to take the lease: an etcd lease grant and one transaction (a writer with no readers
	 * around), or a grant and two transactions (readers, permits, or after a concurrent change). A denial
	 * also reads the blocking leases' remaining TTL, for the retry hint. While a waiter in this process
	 * is subscribed to the key, the attempt first reads the key (a read-only transaction): a denial then
	 * writes nothing (no etcd lease granted and revoked, no transaction through raft).
	 * @param request the lease to take
	 * @return the grant, or a denial with the blocking leases' shortest remaining TTL
	 */
	@Override
	public Grant acquire(LeaseRequest request) {
		validate(request);
		String key = request.key();
		LeaseRecord record = new LeaseRecord(request.leaseId(), request.owner(), request.type(), request.permits(),
				System.currentTimeMillis(), request.metadata());
		ByteSequence value = ByteSequence.from(record.encode());
		ByteSequence leaseKey = this.keys.leaseKey(key, request.type(), request.leaseId());
		if (this.signals.hasWaiters(key)) {
			// Contended (someone here waits for this key): read first, so a lost race writes nothing.
			LockState probe = readState(key);
			if (probe.base != null && probe.find(request.leaseId()) == null && probe.conflicts(request)) {
				return Grant.denied(retryHint(probe.leases, key));
			}
		}
		long etcdLease = grantLease(ttlSeconds(request.ttl()), key);
		boolean used = false;
		try {
			boolean shared = request.type() != LeaseType.WRITE;
			ByteSequence w = this.keys.writeKey(key);
			ByteSequence g = this.keys.guardKey(key);
			PutOption withLease = PutOption.builder().withLeaseId(etcdLease).build();
			List<Op> grantOps = new ArrayList<>();
			grantOps.add(Op.put(leaseKey, value, withLease));
			if (shared) {
				grantOps.add(Op.put(g, ByteSequence.EMPTY, PutOption.DEFAULT));
			}
			grantOps.add(Op.get(this.keys.base(), GetOption.DEFAULT));
			TxnResponse fast = await(this.kv.txn()
				.If(new Cmp(w, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
						new Cmp(g, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
						new Cmp(this.keys.base(), Cmp.Op.GREATER, CmpTarget.version(0)))
				.Then(grantOps.toArray(Op[]::new))
				.Else(Op.get(this.keys.lockPrefix(key), GetOption.builder().isPrefix(true).build()),
						Op.get(this.keys.base(), GetOption.DEFAULT))
				.commit(), key, "acquire");
			if (fast.isSucceeded()) {
				used = true;
				return granted(request.ref(), value, etcdLease, fast);
			}
			LockState state = stateOf(fast, key);
			for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
				if (state.base == null) {
					seedBase(key);
					state = readState(key);
					continue;
				}
				KeyValue own = state.find(request.leaseId());
				if (own != null) {
					Grant again = reattach(request.ref(), own, etcdLease, state.base);
					if (again != null) {
						used = true;
						return again;
					}
					state = readState(key);
					continue;
				}
				if (state.conflicts(request)) {
					return Grant.denied(retryHint(state.leases, key));
				}
				List<Op> commitOps = new ArrayList<>();
				commitOps.add(Op.put(leaseKey, value, withLease));
				if (shared) {
					commitOps.add(Op.put(g, ByteSequence.EMPTY, PutOption.DEFAULT));
				}
				else if (state.guardModRevision != 0) {
					commitOps.add(Op.delete(g, DeleteOption.DEFAULT));
				}
				commitOps.add(Op.get(this.keys.base(), GetOption.DEFAULT));
				TxnResponse commit = await(this.kv.txn()
					.If(new Cmp(w, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
							new Cmp(g, Cmp.Op.EQUAL, CmpTarget.modRevision(state.guardModRevision)),
							new Cmp(this.keys.base(), Cmp.Op.GREATER, CmpTarget.version(0)))
					.Then(commitOps.toArray(Op[]::new))
					.Else(Op.get(this.keys.lockPrefix(key), GetOption.builder().isPrefix(true).build()),
							Op.get(this.keys.base(), GetOption.DEFAULT))
					.commit(), key, "acquire");
				if (commit.isSucceeded()) {
					used = true;
					return granted(request.ref(), value, etcdLease, commit);
				}
				state = stateOf(commit, key);
			}
			return Grant.denied(null);
		}
		finally {
			if (!used) {
				revokeLater(etcdLease);
			}
		}
	}

	/**
	 * Returns the shortest remaining TTL among the key's leases (one {@code LeaseTimeToLive} per lease,
	 * sent together; a read, no raft write), so a waiter sleeps until then at the latest instead of
	 * polling. TTLs come in whole seconds; half a second is added for etcd's expiry sweep.
	 */
	private @Nullable Duration retryHint(List<KeyValue> blocking, String key) {
		List<CompletableFuture<LeaseTimeToLiveResponse>> ttls = new ArrayList<>();
		for (KeyValue lease : blocking) {
			ttls.add(this.leases.timeToLive(lease.getLease(), LeaseOption.DEFAULT));
		}
		long shortest = Long.MAX_VALUE;
		try {
			for (CompletableFuture<LeaseTimeToLiveResponse> ttl : ttls) {
				LeaseTimeToLiveResponse response = awaitUnlessGone(ttl, key, "read the blocking lease's TTL");
				shortest = Math.min(shortest, (response != null) ? Math.max(0, response.getTTL()) : 0);
			}
		}
		catch (LockProviderUnavailableException ex) {
			return null;
		}
		return (shortest == Long.MAX_VALUE) ? null : Duration.ofSeconds(shortest).plusMillis(500);
	}

	/** Re-attaches our own live record to {@code etcdLease}; returns the grant, or null if it changed meanwhile. */
	private @Nullable Grant reattach(LeaseRef ref, KeyValue own, long etcdLease, long base) {
		TxnResponse moved = await(this.kv.txn()
			.If(new Cmp(own.getKey(), Cmp.Op.EQUAL, CmpTarget.value(own.getValue())),
					new Cmp(own.getKey(), Cmp.Op.EQUAL, CmpTarget.modRevision(own.getModRevision())))
			.Then(Op.put(own.getKey(), own.getValue(), PutOption.builder().withLeaseId(etcdLease).build()))
			.commit(), ref.key(), "acquire");
		if (!moved.isSucceeded()) {
			return null;
		}
		if (own.getLease() != etcdLease) {
			revokeIfExclusive(ref.leaseId(), own.getLease());
		}
		remember(ref, own.getValue(), etcdLease, moved.getHeader().getRevision());
		return Grant.granted(noteToken(base + own.getCreateRevision()));
	}

	private Grant granted(LeaseRef ref, ByteSequence value, long etcdLease, TxnResponse response) {
		List<GetResponse> gets = response.getGetResponses();
		long token = base(gets.get(gets.size() - 1), ref.key()) + response.getHeader().getRevision();
		remember(ref, value, etcdLease, response.getHeader().getRevision());
		return Grant.granted(noteToken(token));
	}

	/** Reads the lock's keys and the token base in one transaction (one round trip). */
	private LockState readState(String key) {
		return stateOf(await(this.kv.txn()
			.Then(Op.get(this.keys.lockPrefix(key), GetOption.builder().isPrefix(true).build()),
					Op.get(this.keys.base(), GetOption.DEFAULT))
			.commit(), key, "read"), key);
	}

	private LockState stateOf(TxnResponse response, String key) {
		List<GetResponse> gets = response.getGetResponses();
		LockState state = LockState.of(gets.get(0), gets.get(1), this.keys, this.keys.guardKey(key));
		if (state.base != null) {
			noteBase(state.base, response.getHeader().getRevision());
		}
		return state;
	}

	/** Writes the token base if it is missing (a new or wiped data set), then restarts the watch. */
	private void seedBase(String key) {
		long seed = Math.max(Math.multiplyExact(System.currentTimeMillis(), 1_000_000L), this.highestToken.get() + 1);
		ByteSequence base = this.keys.base();
		TxnResponse created = await(this.kv.txn()
			.If(new Cmp(base, Cmp.Op.EQUAL, CmpTarget.version(0)))
			.Then(Op.put(base, EtcdKeys.bytes(Long.toString(seed)), PutOption.DEFAULT))
			.commit(), key, "seed the fencing-token base");
		if (created.isSucceeded()) {
			logger.info("etcd namespace '{}' had no fencing-token base (new or wiped data); wrote {}",
					this.keys.namespace(), seed);
		}
		this.watch.restart(created.getHeader().getRevision());
	}

	private long base(GetResponse response, String key) {
		Long base = LockState.parseBase(response);
		if (base == null) {
			throw new LockProviderUnavailableException(key, "etcd fencing-token base vanished", null);
		}
		noteBase(base, response.getHeader().getRevision());
		return base;
	}

	/**
	 * Restarts the watch when the token base changed: the data set was replaced (wiped), so the watch's
	 * resume revision may lie in the new data set's future and it would miss releases until then.
	 */
	private void noteBase(long base, long revision) {
		long previous = this.lastBase.getAndSet(base);
		if (previous != 0 && previous != base) {
			logger.info("etcd namespace '{}' has a new fencing-token base (wiped data); restarting the watch",
					this.keys.namespace());
			this.watch.restart(revision);
		}
	}

	private long noteToken(long token) {
		this.highestToken.accumulateAndGet(token, Math::max);
		return token;
	}

	/**
	 * Deletes the lease's key if it still holds this lease's record, then revokes its etcd lease without
	 * waiting: one round trip for a lease this provider granted, two for another's.
	 * @param lease the lease
	 * @return whether it was live and is now gone
	 */
	@Override
	public boolean release(LeaseRef lease) {
		ByteSequence leaseKey = this.keys.leaseKey(lease.key(), lease.type(), lease.leaseId());
		Held mine = this.held.get(lease.leaseId());
		if (mine != null) {
			mine.releasing = true;
			TxnResponse deleted = deleteIfValue(leaseKey, mine.value, lease.key());
			if (deleted.isSucceeded()) {
				revokeIfExclusive(lease.leaseId(), etcdLeaseOf(deleted));
				forget(lease.leaseId());
				return true;
			}
		}
		KeyValue current = find(lease, leaseKey);
		if (current == null) {
			forget(lease.leaseId());
			return false;
		}
		TxnResponse deleted = deleteIfValue(leaseKey, current.getValue(), lease.key());
		if (deleted.isSucceeded()) {
			revokeIfExclusive(lease.leaseId(), etcdLeaseOf(deleted));
		}
		forget(lease.leaseId());
		return deleted.isSucceeded();
	}

	private TxnResponse deleteIfValue(ByteSequence leaseKey, ByteSequence value, String key) {
		return await(this.kv.txn()
			.If(new Cmp(leaseKey, Cmp.Op.EQUAL, CmpTarget.value(value)))
			.Then(Op.delete(leaseKey, DeleteOption.builder().withPrevKV(true).build()))
			.commit(), key, "release");
	}

	private static long etcdLeaseOf(TxnResponse deleted) {
		List<KeyValue> previous = deleted.getDeleteResponses().get(0).getPrevKvs();
		return previous.isEmpty() ? 0 : previous.get(0).getLease();
	}

	/**
	 * Rewrites a live permit lease's record with fewer permits, on the same key and etcd lease (so its
	 * create revision, the fencing token, and its expiry are kept): a read and one transaction that applies
	 * only if the key is unchanged since the read, then the deletion of a wake-up pulse key written by that
	 * transaction, which every provider's release watch sees (see {@link EtcdKeys}).
	 * @param lease the lease
	 * @param permits the permits it keeps
	 * @return whether it was live
	 */
	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		LockProvider.checkReducePermits("EtcdLockProvider.reducePermits", lease, permits);
		validateKey(lease.key(), "reducePermits");
		ByteSequence leaseKey = this.keys.leaseKey(lease.key(), lease.type(), lease.leaseId());
		for (int attempt = 0; attempt < 3; attempt++) {
			KeyValue current = find(lease, leaseKey);
			if (current == null) {
				forget(lease.leaseId());
				return false;
			}
			LeaseRecord record = LeaseRecord.decode(current.getValue().getBytes());
			if (record.permits() <= permits) {
				return true;
			}
			ByteSequence value = ByteSequence.from(new LeaseRecord(record.leaseId(), record.owner(), record.type(),
					permits, record.lockedAtMillis(), record.metadata()).encode());
			PutOption sameLease = PutOption.builder().withLeaseId(current.getLease()).build();
			ByteSequence pulse = this.keys.pulseKey(lease.key());
			TxnResponse put = await(this.kv.txn()
				.If(new Cmp(leaseKey, Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
				.Then(Op.put(leaseKey, value, sameLease), Op.put(pulse, ByteSequence.EMPTY, sameLease))
				.commit(), lease.key(), "reducePermits");
			if (put.isSucceeded()) {
				Held mine = this.held.get(lease.leaseId());
				if (mine != null && mine.etcdLease == current.getLease()) {
					Held updated = new Held(mine.ref, value, mine.etcdLease, mine.exclusive,
							put.getHeader().getRevision(), mine.uncertain);
					updated.releasing = mine.releasing;
					this.held.replace(lease.leaseId(), mine, updated);
				}
				// the deletion is what other providers' watches see; if it fails, the pulse expires with the lease
				this.kv.delete(pulse);
				this.signals.signal(lease.key());
				return true;
			}
			// the key changed between the read and the write (moved to another etcd lease): read it again
		}
		throw unavailable(lease.key(), "reducePermits", null);
	}

	/**
	 * Moves a live lease to a new etcd lease of {@code ttl} (rounded up to whole seconds): a read, a lease
	 * grant and one transaction. The token is kept.
	 * @param lease the lease
	 * @param ttl the new TTL
	 * @return whether it was live and now has the new TTL
	 */
	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		validateTtl(lease.key(), "extend", ttl);
		ByteSequence leaseKey = this.keys.leaseKey(lease.key(), lease.type(), lease.leaseId());
		KeyValue current = find(lease, leaseKey);
		if (current == null) {
			forget(lease.leaseId());
			return false;
		}
		long ttlSeconds = ttlSeconds(ttl);
		long etcdLease = grantLease(ttlSeconds, lease.key());
		TxnResponse moved = await(this.kv.txn()
			.If(new Cmp(leaseKey, Cmp.Op.EQUAL, CmpTarget.value(current.getValue())),
					new Cmp(leaseKey, Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
			.Then(Op.put(leaseKey, current.getValue(), PutOption.builder().withLeaseId(etcdLease).build()))
			.commit(), lease.key(), "extend");
		if (!moved.isSucceeded()) {
			revokeLater(etcdLease);
			forget(lease.leaseId());
			return false;
		}
		revokeIfExclusive(lease.leaseId(), current.getLease());
		if (this.held.containsKey(lease.leaseId())) {
			remember(lease, current.getValue(), etcdLease, moved.getHeader().getRevision());
		}
		return true;
	}

	/**
	 * Renews leases in two round-trip times however many are due: one new etcd lease per distinct TTL
	 * (the "tick lease"), then one transaction per 100 leases, all sent at once, each holding one nested
	 * {@code If(value(key) == record) Then(Put(key, record, tickLease))} per lease. A lease whose key no
	 * longer holds its record is reported gone. Leases not renewed stay on their old etcd lease and expire
	 * with it, so a fixed lease still expires at its own TTL. Leases this provider did not grant go through
	 * {@link #extend}.
	 * @param renewals the leases and their new TTLs
	 * @return the leases that were live and are now extended
	 */
	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		Map<Long, List<Renewal>> byTtl = new LinkedHashMap<>();
		List<Renewal> others = new ArrayList<>();
		for (Renewal renewal : renewals) {
			Held known = this.held.get(renewal.lease().leaseId());
			if (known != null && !known.uncertain) {
				byTtl.computeIfAbsent(ttlSeconds(renewal.ttl()), (ttl) -> new ArrayList<>()).add(renewal);
			}
			else {
				others.add(renewal);
			}
		}
		Map<Long, CompletableFuture<LeaseGrantResponse>> tickGrants = new LinkedHashMap<>();
		byTtl.keySet().forEach((ttl) -> tickGrants.put(ttl, this.leases.grant(ttl)));
		List<RenewalBatch> batches = new ArrayList<>();
		for (Map.Entry<Long, List<Renewal>> group : byTtl.entrySet()) {
			long tickLease = await(tickGrants.get(group.getKey()), "renew", "grant an etcd lease").getID();
			PutOption withTickLease = PutOption.builder().withLeaseId(tickLease).build();
			RenewalBatch batch = null;
			for (Renewal renewal : group.getValue()) {
				Held mine = this.held.get(renewal.lease().leaseId());
				if (mine == null || mine.uncertain) {
					others.add(renewal);
					continue;
				}
				if (batch == null || batch.members.size() == MAX_RENEWALS_PER_TXN) {
					batch = new RenewalBatch(tickLease);
					batches.add(batch);
				}
				ByteSequence leaseKey = this.keys.leaseKey(mine.ref.key(), mine.ref.type(), mine.ref.leaseId());
				batch.members.add(mine);
				// the mod revision of our last write: a late request of an earlier renewal cannot move it back
				batch.ops.add(Op.txn(new Cmp[] { new Cmp(leaseKey, Cmp.Op.EQUAL, CmpTarget.value(mine.value)),
						new Cmp(leaseKey, Cmp.Op.EQUAL, CmpTarget.modRevision(mine.modRevision)) },
						new Op[] { Op.put(leaseKey, mine.value, withTickLease) }, new Op[0]));
			}
		}
		batches.forEach((batch) -> batch.response = this.kv.txn().Then(batch.ops.toArray(Op[]::new)).commit());
		Set<LeaseRef> extended = new HashSet<>();
		Set<Long> usedTickLeases = new HashSet<>();
		Set<Long> previousTickLeases = new HashSet<>();
		for (int b = 0; b < batches.size(); b++) {
			RenewalBatch batch = batches.get(b);
			TxnResponse response;
			try {
				response = await(batch.response, "renew", "renew");
			}
			catch (LockProviderUnavailableException ex) {
				// this batch and the later ones may have been applied or not: re-read those leases next time
				batches.subList(b, batches.size())
					.forEach((unknown) -> unknown.members.forEach((mine) -> this.held.replace(mine.ref.leaseId(), mine,
							mine.inDoubt())));
				throw ex;
			}
			List<TxnResponse> results = response.getTxnResponses();
			for (int i = 0; i < batch.members.size(); i++) {
				Held mine = batch.members.get(i);
				if (results.get(i).isSucceeded()) {
					extended.add(mine.ref);
					usedTickLeases.add(batch.tickLease);
					Held moved = new Held(mine.ref, mine.value, batch.tickLease, false, response.getHeader().getRevision(),
							false);
					moved.releasing = mine.releasing;
					if (this.held.replace(mine.ref.leaseId(), mine, moved)) {
						if (mine.exclusive) {
							revokeLater(mine.etcdLease);
						}
						else if (mine.etcdLease != batch.tickLease) {
							previousTickLeases.add(mine.etcdLease);
						}
					}
				}
				else {
					this.held.remove(mine.ref.leaseId(), mine);
				}
			}
		}
		for (CompletableFuture<LeaseGrantResponse> grant : tickGrants.values()) {
			long tickLease = grant.join().getID();
			if (!usedTickLeases.contains(tickLease)) {
				revokeLater(tickLease);
			}
		}
		// an earlier tick lease that no held lease is on any more would otherwise live until its TTL runs out
		if (!previousTickLeases.isEmpty()) {
			this.held.values().forEach((mine) -> previousTickLeases.remove(mine.etcdLease));
			previousTickLeases.forEach(this::revokeLater);
		}
		for (Renewal renewal : others) {
			if (extend(renewal.lease(), renewal.ttl())) {
				extended.add(renewal.lease());
			}
		}
		return extended;
	}

	/**
	 * Reads the key's lease keys and the token base in one transaction, then each lease's remaining TTL.
	 * @param key the backend key
	 * @return the key's state
	 */
	@Override
	public LockInfo inspect(String key) {
		validateKey(key, "inspect");
		LockState state = readState(key);
		return LockInfo.of(key, describe(state.leases, state.base, key));
	}

	private List<LeaseInfo> describe(List<KeyValue> leaseKeys, @Nullable Long base, String key) {
		if (leaseKeys.isEmpty()) {
			return List.of();
		}
		long tokenBase = (base != null) ? base : 0;
		Map<KeyValue, CompletableFuture<LeaseTimeToLiveResponse>> ttls = new LinkedHashMap<>();
		for (KeyValue leaseKey : leaseKeys) {
			ttls.put(leaseKey, this.leases.timeToLive(leaseKey.getLease(), LeaseOption.DEFAULT));
		}
		Instant now = Instant.now();
		List<LeaseInfo> result = new ArrayList<>();
		for (Map.Entry<KeyValue, CompletableFuture<LeaseTimeToLiveResponse>> entry : ttls.entrySet()) {
			LeaseTimeToLiveResponse ttl = awaitUnlessGone(entry.getValue(), key, "inspect");
			if (ttl == null || ttl.getTTL() < 0) {
				continue;
			}
			LeaseRecord record = LeaseRecord.decode(entry.getKey().getValue().getBytes());
			result.add(record.toInfo(tokenBase + entry.getKey().getCreateRevision(), now.plusSeconds(ttl.getTTL())));
		}
		result.sort(Comparator.comparingLong(LeaseInfo::fencingToken));
		return result;
	}

	/**
	 * Lists held keys by reading the namespace range under {@code keyPrefix} in pages of 1,000 etcd keys
	 * (one range request per page, all at the first page's revision), then the remaining TTL of the leases
	 * on the requested page. The cost grows with the number of leases under the prefix.
	 * @param keyPrefix the prefix every listed key starts with (may be empty)
	 * @param offset how many keys to skip
	 * @param limit the most keys to return
	 * @return the page
	 */
	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		ByteSequence start = this.keys.listPrefix(keyPrefix);
		ByteSequence end = EtcdKeys.prefixEnd(start);
		long revision = 0;
		int total = 0;
		String lastKey = null;
		Map<String, List<KeyValue>> page = new LinkedHashMap<>();
		Long base = null;
		while (true) {
			GetOption.Builder option = GetOption.builder().withRange(end).withLimit(LIST_PAGE);
			if (revision != 0) {
				option.withRevision(revision);
			}
			GetResponse response = await(this.kv.get(start, option.build()), keyPrefix, "list");
			if (revision == 0) {
				revision = response.getHeader().getRevision();
			}
			for (KeyValue entry : response.getKvs()) {
				EtcdKeys.Parsed parsed = this.keys.parse(entry.getKey());
				if (parsed == null || !parsed.lockKey().startsWith(keyPrefix)) {
					continue;
				}
				if (!parsed.lockKey().equals(lastKey)) {
					lastKey = parsed.lockKey();
					total++;
				}
				if (total > offset && total <= offset + (long) limit) {
					page.computeIfAbsent(parsed.lockKey(), (k) -> new ArrayList<>()).add(entry);
				}
			}
			if (!response.isMore() || response.getKvs().isEmpty()) {
				break;
			}
			List<KeyValue> kvs = response.getKvs();
			start = kvs.get(kvs.size() - 1).getKey().concat(ByteSequence.from(new byte[] { 0 }));
		}
		if (!page.isEmpty()) {
			base = LockState.parseBase(await(this.kv.get(this.keys.base()), keyPrefix, "list"));
		}
		List<LockInfo> locks = new ArrayList<>();
		for (Map.Entry<String, List<KeyValue>> entry : page.entrySet()) {
			List<LeaseInfo> live = describe(entry.getValue(), base, entry.getKey());
			if (!live.isEmpty()) {
				locks.add(LockInfo.of(entry.getKey(), live));
			}
		}
		return new LockPage(locks, total);
	}

	/**
	 * Deletes every lease key of the key (each only if it still holds the record read a moment before); the
	 * holders' watches and renewals see the loss. The guard and the token base are kept, so tokens keep
	 * increasing.
	 * @param key the backend key
	 * @return whether any lease was removed
	 */
	@Override
	public boolean forceRelease(String key) {
		validateKey(key, "forceRelease");
		LockState state = readState(key);
		boolean removed = false;
		for (KeyValue lease : state.leases) {
			if (deleteIfValue(lease.getKey(), lease.getValue(), key).isSucceeded()) {
				removed = true;
			}
		}
		return removed;
	}

	/**
	 * Returns {@code true}: the provider's watch reports deleted lease keys.
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

	@Override
	public void setLeaseLossListener(Consumer<LeaseRef> listener) {
		this.lossListener = Objects.requireNonNull(listener, "listener");
	}

	@Override
	public void ping() {
		await(this.kv.get(this.keys.base()), "ping", "ping");
	}

	/**
	 * Stops the watch. The jetcd client stays open.
	 */
	@Override
	public void close() {
		this.watch.close();
	}

	@Override
	public String toString() {
		return "EtcdLockProvider[namespace=" + this.keys.namespace() + "]";
	}

	// ------------------------------------------------------------------ helpers

	/** Called by the watch for each deleted lease key. */
	private void deletedByOthers(String leaseId) {
		Held mine = this.held.get(leaseId);
		if (mine != null && !mine.releasing) {
			this.held.remove(leaseId, mine);
			this.lossListener.accept(mine.ref);
		}
	}

	private @Nullable KeyValue find(LeaseRef lease, ByteSequence leaseKey) {
		GetResponse response = await(this.kv.get(leaseKey), lease.key(), "read");
		for (KeyValue entry : response.getKvs()) {
			if (LeaseRecord.decode(entry.getValue().getBytes()).leaseId().equals(lease.leaseId())) {
				return entry;
			}
		}
		return null;
	}

	/** Records a lease on an etcd lease granted for it alone. */
	private void remember(LeaseRef ref, ByteSequence value, long etcdLease, long modRevision) {
		this.held.put(ref.leaseId(), new Held(ref, value, etcdLease, true, modRevision, false));
	}

	/** Revokes an etcd lease only if this provider granted it for this lease alone (never a shared tick lease). */
	private void revokeIfExclusive(String leaseId, long etcdLease) {
		Held mine = this.held.get(leaseId);
		if (mine != null && mine.exclusive && mine.etcdLease == etcdLease) {
			revokeLater(etcdLease);
		}
	}

	private void forget(String leaseId) {
		this.held.remove(leaseId);
	}

	private long grantLease(long ttlSeconds, String key) {
		return await(this.leases.grant(ttlSeconds), key, "grant an etcd lease").getID();
	}

	private void revokeLater(long etcdLease) {
		if (etcdLease != 0) {
			this.leases.revoke(etcdLease).exceptionally((ex) -> null);
		}
	}

	private long currentRevisionOrZero() {
		try {
			GetResponse response = await(this.kv.get(this.keys.base()), "start", "read the revision");
			Long base = LockState.parseBase(response);
			if (base != null) {
				this.lastBase.set(base);
			}
			return response.getHeader().getRevision();
		}
		catch (LockProviderUnavailableException ex) {
			logger.warn("etcd not reachable at start; watching from whenever it is: {}", ex.getMessage());
			return 0;
		}
	}

	/**
	 * Rounds a TTL up to whole seconds, at least 1 (etcd's unit).
	 * @param ttl the TTL
	 * @return seconds
	 */
	static long ttlSeconds(Duration ttl) {
		long seconds = ttl.getSeconds() + ((ttl.getNano() > 0) ? 1 : 0);
		return Math.min(Math.max(1, seconds), MAX_TTL_SECONDS);
	}

	private void validate(LeaseRequest request) {
		validateKey(request.key(), "acquire");
		String key = KeyText.forMessage(request.key());
		validateTtl(request.key(), "acquire", request.ttl());
		if (request.limit() < 1 || request.permits() < 1 || request.permits() > request.limit()) {
			throw new IllegalArgumentException("etcd provider acquire of '" + key
					+ "': permits must be between 1 and the limit, and the limit at least 1, was " + request.permits()
					+ " of " + request.limit());
		}
		validateId(request.key(), "lease id", request.leaseId());
		validateId(request.key(), "owner", request.owner());
		if (request.leaseId().indexOf('\0') >= 0) {
			throw new IllegalArgumentException(
					"etcd provider acquire of '" + key + "': the lease id must not contain a NUL character");
		}
		int metadataBytes = LeaseRecord.metadataBytes(request.metadata());
		if (metadataBytes > MAX_METADATA_BYTES) {
			throw new IllegalArgumentException("etcd provider: metadata of '" + KeyText.forMessage(request.key()) + "' takes "
					+ metadataBytes + " bytes, more than the limit of " + MAX_METADATA_BYTES + " bytes");
		}
	}

	private static void validateId(String key, String what, String id) {
		int bytes = LeaseRecord.utf8Length(id);
		if (bytes > MAX_ID_BYTES) {
			throw new IllegalArgumentException("etcd provider acquire of '" + KeyText.forMessage(key) + "': the " + what
					+ " is " + bytes + " UTF-8 bytes, more than the limit of " + MAX_ID_BYTES);
		}
	}

	/** A TTL must be positive and at most etcd's maximum: clamping it would end the server lease first. */
	private static void validateTtl(String key, String method, Duration ttl) {
		if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofSeconds(MAX_TTL_SECONDS)) > 0) {
			throw new IllegalArgumentException("etcd provider " + method + " of '" + KeyText.forMessage(key)
					+ "': TTL must be positive and at most " + MAX_TTL_SECONDS + " s (etcd's maximum), was " + ttl);
		}
	}

	private static void validateKey(String key, String method) {
		if (key.indexOf('\0') >= 0) {
			throw new IllegalArgumentException(
					"etcd provider " + method + ": key '" + KeyText.forMessage(key) + "' must not contain a NUL character");
		}
		int bytes = LeaseRecord.utf8Length(key);
		if (bytes > EtcdKeys.MAX_KEY_BYTES) {
			throw new IllegalArgumentException("etcd provider " + method + ": key '" + KeyText.forMessage(key) + "' is " + bytes
					+ " UTF-8 bytes, more than the limit of " + EtcdKeys.MAX_KEY_BYTES);
		}
	}

	private <T> T await(CompletableFuture<T> future, String key, String operation) {
		try {
			return awaitRaw(future);
		}
		catch (ExecutionException ex) {
			throw unavailable(key, operation, ex.getCause());
		}
		catch (TimeoutException ex) {
			future.cancel(true);
			throw unavailable(key, operation, ex);
		}
	}

	/** Like {@link #await}, but returns {@code null} when etcd answers that the lease does not exist. */
	private <T> @Nullable T awaitUnlessGone(CompletableFuture<T> future, String key, String operation) {
		try {
			return awaitRaw(future);
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND) {
				return null;
			}
			if (cause != null && String.valueOf(cause.getMessage()).toLowerCase(java.util.Locale.ROOT)
				.contains("lease not found")) {
				return null;
			}
			throw unavailable(key, operation, cause);
		}
		catch (TimeoutException ex) {
			future.cancel(true);
			throw unavailable(key, operation, ex);
		}
	}

	/** Waits up to the request timeout without giving up on interrupt (the flag is restored). */
	private <T> T awaitRaw(CompletableFuture<T> future) throws ExecutionException, TimeoutException {
		long deadline = System.nanoTime() + this.requestTimeout.toNanos();
		boolean interrupted = false;
		try {
			while (true) {
				try {
					return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				}
				catch (InterruptedException ex) {
					interrupted = true;
				}
			}
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private LockProviderUnavailableException unavailable(String key, String operation, @Nullable Throwable cause) {
		String reason = (cause instanceof TimeoutException) ? "no answer within " + this.requestTimeout
				: String.valueOf((cause != null) ? cause.getMessage() : null);
		return new LockProviderUnavailableException(key,
				"etcd " + operation + " of '" + KeyText.forMessage(key) + "' failed: " + reason, cause);
	}

	/**
	 * A lease this provider granted: its record bytes, etcd lease ({@code exclusive} when the etcd lease
	 * was granted for this lease alone, so revoking it removes nothing else) and the mod revision of its key
	 * after our last write, which every renewal compares. {@code uncertain} after a renewal whose answer
	 * was lost: the next one reads the key first ({@link #extend}).
	 */
	private static final class Held {

		final LeaseRef ref;

		final ByteSequence value;

		final long etcdLease;

		final boolean exclusive;

		final long modRevision;

		final boolean uncertain;

		volatile boolean releasing;

		Held(LeaseRef ref, ByteSequence value, long etcdLease, boolean exclusive, long modRevision,
				boolean uncertain) {
			this.ref = ref;
			this.value = value;
			this.etcdLease = etcdLease;
			this.exclusive = exclusive;
			this.modRevision = modRevision;
			this.uncertain = uncertain;
		}

		/** This lease after a renewal that may or may not have been applied. */
		Held inDoubt() {
			Held copy = new Held(this.ref, this.value, this.etcdLease, this.exclusive, this.modRevision, true);
			copy.releasing = this.releasing;
			return copy;
		}

	}

	/** Up to {@value #MAX_RENEWALS_PER_TXN} renewals sent as one transaction. */
	private static final class RenewalBatch {

		final long tickLease;

		final List<Held> members = new ArrayList<>();

		final List<Op> ops = new ArrayList<>();

		@Nullable CompletableFuture<TxnResponse> response;

		RenewalBatch(long tickLease) {
			this.tickLease = tickLease;
		}

	}

	/** One lock's keys at one revision, from a prefix read. */
	private static final class LockState {

		final List<KeyValue> leases = new ArrayList<>();

		long guardModRevision;

		@Nullable Long base;

		static LockState of(GetResponse prefix, GetResponse baseResponse, EtcdKeys keys, ByteSequence guard) {
			LockState state = new LockState();
			for (KeyValue entry : prefix.getKvs()) {
				if (entry.getKey().equals(guard)) {
					state.guardModRevision = entry.getModRevision();
				}
				else if (keys.parse(entry.getKey()) != null) {
					state.leases.add(entry);
				}
			}
			state.base = parseBase(baseResponse);
			return state;
		}

		static @Nullable Long parseBase(GetResponse response) {
			if (response.getKvs().isEmpty()) {
				return null;
			}
			return Long.parseLong(response.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8));
		}

		@Nullable KeyValue find(String leaseId) {
			for (KeyValue lease : this.leases) {
				if (LeaseRecord.decode(lease.getValue().getBytes()).leaseId().equals(leaseId)) {
					return lease;
				}
			}
			return null;
		}

		boolean conflicts(LeaseRequest request) {
			int permitsUsed = 0;
			boolean readers = false;
			for (KeyValue lease : this.leases) {
				LeaseRecord record = LeaseRecord.decode(lease.getValue().getBytes());
				switch (record.type()) {
					case WRITE -> {
						return true;
					}
					case READ -> readers = true;
					case PERMITS -> permitsUsed += record.permits();
				}
			}
			return switch (request.type()) {
				case WRITE -> readers || permitsUsed > 0;
				case READ -> permitsUsed > 0;
				case PERMITS -> readers || permitsUsed + request.permits() > request.limit();
			};
		}

	}

	/**
	 * Builds an {@link EtcdLockProvider}.
	 */
	public static final class Builder {

		private final Client client;

		private String namespace = DEFAULT_NAMESPACE;

		private Duration requestTimeout = Duration.ofSeconds(5);

		private Builder(Client client) {
			this.client = Objects.requireNonNull(client, "client");
		}

		/**
		 * Sets the namespace (key prefix) under which lock keys are stored (default
		 * {@value EtcdLockProvider#DEFAULT_NAMESPACE}). Every process sharing locks must use the same one.
		 * @param namespace the namespace, not empty, without NUL characters
		 * @return this builder
		 * @throws IllegalArgumentException if empty or containing NUL
		 */
		public Builder namespace(String namespace) {
			Objects.requireNonNull(namespace, "namespace");
			if (namespace.isEmpty() || namespace.indexOf('\0') >= 0) {
				throw new IllegalArgumentException("namespace must be non-empty and free of NUL characters");
			}
			this.namespace = namespace;
			return this;
		}

		/**
		 * Sets how long one call to etcd may take before it counts as unavailable (default 5 s).
		 * @param requestTimeout the timeout, positive
		 * @return this builder
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder requestTimeout(Duration requestTimeout) {
			Objects.requireNonNull(requestTimeout, "requestTimeout");
			if (requestTimeout.isNegative() || requestTimeout.isZero()) {
				throw new IllegalArgumentException("requestTimeout must be positive, but was " + requestTimeout);
			}
			this.requestTimeout = requestTimeout;
			return this;
		}

		/**
		 * Builds the provider and starts its watch.
		 * @return the provider
		 */
		public EtcdLockProvider build() {
			return new EtcdLockProvider(this);
		}

	}

}
