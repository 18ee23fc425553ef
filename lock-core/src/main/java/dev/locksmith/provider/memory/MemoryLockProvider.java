package dev.locksmith.provider.memory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockClock;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * Locks held in this JVM's memory: for a single instance, for tests, and as the reference
 * implementation of the SPI. Expiry is measured with the injected {@link LockClock}, so tests can
 * expire leases by advancing a manual clock. Fencing tokens come from one counter for all keys, so they
 * strictly increase per key (and globally). Releases wake waiters at once.
 *
 * <p>Each key's state is changed only inside {@link ConcurrentHashMap#compute}, so every operation is
 * atomic per key and never blocks. An acquire re-sent with the lease id of a live lease returns that
 * lease's grant (same token, expiry refreshed from the re-sent TTL). Keys whose leases all expired are
 * swept about once a second by the next acquire or release, so memory is bounded by the live keys.
 */
public final class MemoryLockProvider implements LockProvider {

	private final LockClock clock;

	private final ConcurrentHashMap<String, List<Lease>> keys = new ConcurrentHashMap<>();

	private final AtomicLong fencingCounter = new AtomicLong();

	private final ReleaseSignals signals = new ReleaseSignals();

	/** How often (monotonic nanos) keys whose leases all expired are swept, whether touched again or not. */
	private static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;

	/** When the next sweep is due (monotonic nanos). */
	private final AtomicLong nextSweepNanos;

	/**
	 * Creates a provider on the system clock.
	 */
	public MemoryLockProvider() {
		this(LockClock.system());
	}

	/**
	 * Creates a provider on the given clock.
	 * @param clock the clock that decides expiry
	 */
	public MemoryLockProvider(LockClock clock) {
		this.clock = Objects.requireNonNull(clock, "clock must not be null");
		this.nextSweepNanos = new AtomicLong(clock.nanoTime() + SWEEP_INTERVAL_NANOS);
	}

	@Override
	public String name() {
		return "memory";
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		Grant[] result = new Grant[1];
		long now = this.clock.nanoTime();
		sweepIfDue(now);
		this.keys.compute(request.key(), (key, leases) -> {
			List<Lease> live = purge(leases, now);
			for (int i = 0; i < live.size(); i++) {
				Lease lease = live.get(i);
				if (lease.id.equals(request.leaseId())) {
					// a re-sent request (its reply was lost): the existing grant, expiring from this request's TTL
					live.set(i, lease.expiringAt(now + request.ttl().toNanos()));
					result[0] = Grant.granted(lease.token);
					return live;
				}
			}
			long blockingUntil = blockingUntil(live, request);
			if (blockingUntil != Long.MIN_VALUE) {
				result[0] = Grant.denied(Duration.ofNanos(Math.max(0, blockingUntil - now)));
				return live.isEmpty() ? null : live;
			}
			long token = this.fencingCounter.incrementAndGet();
			live.add(new Lease(request.leaseId(), request.owner(), request.type(), request.permits(), token,
					this.clock.now(), now, now + request.ttl().toNanos(), request.metadata()));
			result[0] = Grant.granted(token);
			return live;
		});
		return result[0];
	}

	/**
	 * Drops, at most once per {@link #SWEEP_INTERVAL_NANOS}, every key whose leases have all expired, so
	 * that memory stays bounded by the live keys even when an expired key is never touched again.
	 */
	private void sweepIfDue(long now) {
		long due = this.nextSweepNanos.get();
		if (now - due < 0 || !this.nextSweepNanos.compareAndSet(due, now + SWEEP_INTERVAL_NANOS)) {
			return;
		}
		for (String key : this.keys.keySet()) {
			this.keys.computeIfPresent(key, (k, leases) -> {
				List<Lease> live = purge(leases, now);
				return live.isEmpty() ? null : live;
			});
		}
	}

	/**
	 * Returns the expiry of the lease that blocks the request, or {@code Long.MIN_VALUE} if nothing blocks it.
	 */
	private static long blockingUntil(List<Lease> live, LeaseRequest request) {
		long until = Long.MIN_VALUE;
		int permitsInUse = 0;
		for (Lease lease : live) {
			boolean conflicts = switch (request.type()) {
				case WRITE -> true;
				case READ -> lease.type != LeaseType.READ;
				case PERMITS -> lease.type != LeaseType.PERMITS;
			};
			if (lease.type == LeaseType.PERMITS) {
				permitsInUse += lease.permits;
			}
			if (conflicts) {
				until = (until == Long.MIN_VALUE) ? lease.expiresNanos : Math.min(until, lease.expiresNanos);
			}
		}
		if (until == Long.MIN_VALUE && request.type() == LeaseType.PERMITS
				&& permitsInUse + request.permits() > request.limit()) {
			for (Lease lease : live) {
				until = (until == Long.MIN_VALUE) ? lease.expiresNanos : Math.min(until, lease.expiresNanos);
			}
		}
		return until;
	}

	@Override
	public boolean release(LeaseRef ref) {
		boolean[] released = new boolean[1];
		long now = this.clock.nanoTime();
		sweepIfDue(now);
		this.keys.computeIfPresent(ref.key(), (key, leases) -> {
			List<Lease> live = purge(leases, now);
			released[0] = live.removeIf((lease) -> lease.id.equals(ref.leaseId()));
			return live.isEmpty() ? null : live;
		});
		if (released[0]) {
			this.signals.signal(ref.key());
		}
		return released[0];
	}

	@Override
	public boolean extend(LeaseRef ref, Duration ttl) {
		boolean[] extended = new boolean[1];
		long now = this.clock.nanoTime();
		this.keys.computeIfPresent(ref.key(), (key, leases) -> {
			List<Lease> live = purge(leases, now);
			for (int i = 0; i < live.size(); i++) {
				Lease lease = live.get(i);
				if (lease.id.equals(ref.leaseId())) {
					live.set(i, lease.expiringAt(now + ttl.toNanos()));
					extended[0] = true;
				}
			}
			return live.isEmpty() ? null : live;
		});
		return extended[0];
	}

	@Override
	public boolean reducePermits(LeaseRef ref, int permits) {
		LockProvider.checkReducePermits("MemoryLockProvider.reducePermits", ref, permits);
		boolean[] live = new boolean[1];
		boolean[] freed = new boolean[1];
		long now = this.clock.nanoTime();
		this.keys.computeIfPresent(ref.key(), (key, leases) -> {
			List<Lease> current = purge(leases, now);
			for (int i = 0; i < current.size(); i++) {
				Lease lease = current.get(i);
				if (lease.id.equals(ref.leaseId())) {
					live[0] = true;
					if (lease.permits > permits) {
						current.set(i, lease.withPermits(permits));
						freed[0] = true;
					}
				}
			}
			return current.isEmpty() ? null : current;
		});
		if (freed[0]) {
			this.signals.signal(ref.key());
		}
		return live[0];
	}

	@Override
	public LockInfo inspect(String key) {
		long now = this.clock.nanoTime();
		Instant wallNow = this.clock.now();
		List<LeaseInfo> infos = new ArrayList<>();
		this.keys.computeIfPresent(key, (k, leases) -> {
			List<Lease> live = purge(leases, now);
			for (Lease lease : live) {
				infos.add(lease.info(now, wallNow));
			}
			return live.isEmpty() ? null : live;
		});
		return LockInfo.of(key, infos);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		List<String> held = this.keys.keySet()
			.stream()
			.filter((key) -> key.startsWith(keyPrefix))
			.sorted()
			.toList();
		List<LockInfo> locked = new ArrayList<>();
		for (String key : held) {
			LockInfo info = inspect(key);
			if (info.isLocked()) {
				locked.add(info);
			}
		}
		int from = Math.min(offset, locked.size());
		int to = (int) Math.min((long) from + limit, locked.size());
		return new LockPage(locked.subList(from, to), locked.size());
	}

	@Override
	public boolean forceRelease(String key) {
		long now = this.clock.nanoTime();
		List<Lease> removed = this.keys.remove(key);
		boolean any = removed != null && !purge(removed, now).isEmpty();
		if (removed != null) {
			this.signals.signal(key);
		}
		return any;
	}

	@Override
	public boolean notifiesReleases() {
		return true;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return this.signals.subscribe(key);
	}

	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		return this.signals.subscribe(key, type);
	}

	@Override
	public void ping() {
	}

	/**
	 * Returns how many keys the provider keeps state for, live or not yet purged (for tests and monitoring:
	 * it stays bounded by the keys with live leases plus those that expired since the last sweep).
	 * @return the number of keys stored
	 */
	public int storedKeyCount() {
		return this.keys.size();
	}

	@Override
	public void close() {
		this.keys.clear();
	}

	/** Returns a mutable list of the leases that have not expired at {@code now}. */
	private static List<Lease> purge(@Nullable List<Lease> leases, long now) {
		List<Lease> live = (leases != null) ? leases : new ArrayList<>(2);
		live.removeIf((lease) -> lease.expiresNanos - now <= 0);
		return live;
	}

	private record Lease(String id, String owner, LeaseType type, int permits, long token, Instant lockedAt,
			long grantedNanos, long expiresNanos, Map<String, String> metadata) {

		Lease expiringAt(long newExpiresNanos) {
			return new Lease(this.id, this.owner, this.type, this.permits, this.token, this.lockedAt,
					this.grantedNanos, newExpiresNanos, this.metadata);
		}

		Lease withPermits(int newPermits) {
			return new Lease(this.id, this.owner, this.type, newPermits, this.token, this.lockedAt, this.grantedNanos,
					this.expiresNanos, this.metadata);
		}

		LeaseInfo info(long now, Instant wallNow) {
			return new LeaseInfo(this.id, this.owner, this.type, this.permits, this.token, this.lockedAt,
					wallNow.plusNanos(this.expiresNanos - now), this.metadata);
		}

	}

}
