package dev.locksmith.boot.actuate;

import java.util.List;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

import dev.locksmith.MutexService;
import dev.locksmith.leader.LeaderElection;

/**
 * The {@code locks} endpoint with its force-release operation:
 * {@code DELETE /actuator/locks/{key}} removes every lease on the key, whoever holds it (the holders
 * find out at their next renewal and report the lease lost). Registered instead of {@link LocksEndpoint}
 * only when {@code locksmith.actuator.force-release-enabled=true}.
 */
@Endpoint(id = "locks")
public class ForceReleaseLocksEndpoint extends LocksEndpoint {

	/**
	 * Creates the endpoint.
	 * @param locks the lock service
	 */
	public ForceReleaseLocksEndpoint(MutexService locks) {
		super(locks);
	}

	/**
	 * Creates the endpoint that also shows leader elections.
	 * @param locks the lock service
	 * @param elections the leader elections of this instance
	 */
	public ForceReleaseLocksEndpoint(MutexService locks, List<LeaderElection> elections) {
		super(locks, elections);
	}

	/**
	 * Force-releases a key.
	 * @param key the lock key (without the key prefix); the path segments of a key containing {@code /}
	 * @return whether anything was removed
	 */
	@DeleteOperation
	public ForceReleaseDescriptor release(@Selector(match = Selector.Match.ALL_REMAINING) String... key) {
		String joined = joinKey(key);
		return new ForceReleaseDescriptor(joined, lockService().forceRelease(joined));
	}

	/**
	 * The result of a force-release.
	 *
	 * @param key the lock key
	 * @param released whether any lease was removed
	 */
	public record ForceReleaseDescriptor(String key, boolean released) implements OperationResponseBody {
	}

}
