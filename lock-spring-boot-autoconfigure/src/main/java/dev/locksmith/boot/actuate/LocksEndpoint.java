package dev.locksmith.boot.actuate;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LockHandle;
import dev.locksmith.LockInfo;
import dev.locksmith.MutexService;
import dev.locksmith.leader.LeaderElection;

/**
 * The {@code locks} actuator endpoint: {@code GET /actuator/locks} lists the leases this instance holds;
 * {@code GET /actuator/locks/{key}} reads a key's state from the backend, whoever holds it. The list also shows
 * this instance's leader elections (name, whether it leads, term). {@code DELETE /actuator/locks/{key}}
 * force-releases a key, whoever holds it; as a write operation it follows Boot's endpoint access model: the
 * endpoint is read-only by default and {@code management.endpoint.locks.access=unrestricted} enables it.
 */
@Endpoint(id = "locks", defaultAccess = Access.READ_ONLY)
public class LocksEndpoint {

	private final MutexService locks;

	private final List<LeaderElection> elections;

	/**
	 * Creates the endpoint.
	 * @param locks the lock service
	 */
	public LocksEndpoint(MutexService locks) {
		this(locks, List.of());
	}

	/**
	 * Creates the endpoint that also shows leader elections.
	 * @param locks the lock service
	 * @param elections the leader elections of this instance
	 */
	public LocksEndpoint(MutexService locks, List<LeaderElection> elections) {
		this.locks = locks;
		this.elections = List.copyOf(elections);
	}

	/**
	 * Lists the leases this instance holds.
	 * @return the held leases
	 */
	@ReadOperation
	public HeldLocksDescriptor locks() {
		Instant now = Instant.now();
		List<HeldLockDescriptor> held = this.locks.heldLocks()
			.stream()
			.map((handle) -> HeldLockDescriptor.of(handle, now))
			.toList();
		List<LeaderDescriptor> leaders = this.elections.stream().map(LeaderDescriptor::of).toList();
		return new HeldLocksDescriptor(this.locks.providerName(), this.locks.ownerId(), held.size(), held, leaders);
	}

	/**
	 * Reads one key's state from the backend.
	 * @param key the lock key (without the key prefix); the path segments of a key containing {@code /}
	 * @return the key's state
	 */
	@ReadOperation
	public LockDescriptor lock(@Selector(match = Selector.Match.ALL_REMAINING) String... key) {
		return LockDescriptor.of(this.locks.inspect(joinKey(key)));
	}

	/**
	 * Force-releases a key: removes every lease on it, whoever holds it (the holders find out at their next
	 * renewal and report the lease lost). Available only with {@code management.endpoint.locks.access=unrestricted}.
	 * @param key the lock key (without the key prefix); the path segments of a key containing {@code /}
	 * @return whether anything was removed
	 */
	@DeleteOperation
	public ForceReleaseDescriptor release(@Selector(match = Selector.Match.ALL_REMAINING) String... key) {
		String joined = joinKey(key);
		return new ForceReleaseDescriptor(joined, this.locks.forceRelease(joined));
	}

	private static String joinKey(String... segments) {
		return String.join("/", segments);
	}

	/**
	 * The result of a force-release.
	 *
	 * @param key the lock key
	 * @param released whether any lease was removed
	 */
	public record ForceReleaseDescriptor(String key, boolean released) implements OperationResponseBody {
	}

	/**
	 * The leases this instance holds.
	 *
	 * @param provider the provider name
	 * @param owner this instance's owner id
	 * @param count how many leases are held
	 * @param locks the held leases
	 * @param leaders this instance's leader elections
	 */
	public record HeldLocksDescriptor(String provider, String owner, int count, List<HeldLockDescriptor> locks,
			List<LeaderDescriptor> leaders) implements OperationResponseBody {

		/**
		 * Creates the descriptor without leader elections.
		 * @param provider the provider name
		 * @param owner this instance's owner id
		 * @param count how many leases are held
		 * @param locks the held leases
		 */
		public HeldLocksDescriptor(String provider, String owner, int count, List<HeldLockDescriptor> locks) {
			this(provider, owner, count, locks, List.of());
		}

	}

	/**
	 * One leader election of this instance.
	 *
	 * @param name the election name
	 * @param key the lock key that carries it
	 * @param running whether the election is started
	 * @param leader whether this instance leads now
	 * @param term the term while leader
	 */
	public record LeaderDescriptor(String name, String key, boolean running, boolean leader, @Nullable Long term) {

		static LeaderDescriptor of(LeaderElection election) {
			Long term = election.leadership().map((leadership) -> leadership.term()).orElse(null);
			return new LeaderDescriptor(election.name(), election.key(), election.isRunning(), term != null, term);
		}

	}

	/**
	 * One lease this instance holds.
	 *
	 * @param key the lock key
	 * @param name the lock name (the metrics tag)
	 * @param type the lease type
	 * @param token the fencing token
	 * @param acquiredAt when the lease was granted
	 * @param expiresAt when the lease expires unless renewed, by this instance's local deadline
	 * @param renewals how many times it has been renewed
	 */
	public record HeldLockDescriptor(String key, String name, String type, long token, Instant acquiredAt,
			Instant expiresAt, long renewals) {

		static HeldLockDescriptor of(LockHandle handle, Instant now) {
			return new HeldLockDescriptor(handle.key(), handle.name(), handle.type().name(), handle.fencingToken(),
					handle.acquiredAt(), now.plus(handle.remaining()), handle.renewals());
		}

	}

	/**
	 * A key's state on the backend.
	 *
	 * @param key the lock key
	 * @param locked whether anyone holds it
	 * @param holder the owner of the newest lease
	 * @param token the fencing token of the newest lease
	 * @param lockedAt when the newest lease was granted (backend clock)
	 * @param expiresAt when the newest lease expires unless renewed (backend clock)
	 * @param leases every live lease
	 */
	public record LockDescriptor(String key, boolean locked, @Nullable String holder, @Nullable Long token,
			@Nullable Instant lockedAt, @Nullable Instant expiresAt,
			List<LeaseDescriptor> leases) implements OperationResponseBody {

		static LockDescriptor of(LockInfo info) {
			return new LockDescriptor(info.key(), info.isLocked(), info.holder(), info.fencingToken(), info.lockedAt(),
					info.expiresAt(), info.leases().stream().map(LeaseDescriptor::of).toList());
		}

	}

	/**
	 * One live lease on the backend.
	 *
	 * @param owner the holder's owner id
	 * @param type the lease type
	 * @param permits the permits held
	 * @param token the fencing token
	 * @param lockedAt when the lease was granted
	 * @param expiresAt when it expires unless renewed
	 * @param metadata the metadata stored with it
	 */
	public record LeaseDescriptor(String owner, String type, int permits, long token, Instant lockedAt,
			Instant expiresAt, Map<String, String> metadata) {

		static LeaseDescriptor of(LeaseInfo lease) {
			return new LeaseDescriptor(lease.owner(), lease.type().name(), lease.permits(), lease.fencingToken(),
					lease.lockedAt(), lease.expiresAt(), lease.metadata());
		}

	}

}
