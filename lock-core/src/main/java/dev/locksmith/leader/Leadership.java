package dev.locksmith.leader;

import java.time.Instant;
import java.util.Objects;

/**
 * One term of leadership won by this process: the election's name, the term (the fencing token of the
 * lease that carries it, strictly greater than every earlier term of the same name in any process), the
 * owner id of the service that holds it, and when it was granted (wall clock, for display).
 *
 * <p>Pass {@link #term()} with every write a leader makes to a system that can reject stale tokens: a
 * deposed leader that carries on (after a long pause, say) then cannot overwrite its successor's work.
 *
 * @param name the election name
 * @param term the term, the lease's fencing token
 * @param owner the owner id of the lock service that holds the lease
 * @param grantedAt when leadership was granted
 */
public record Leadership(String name, long term, String owner, Instant grantedAt) {

	/**
	 * Validates the components.
	 * @param name the election name
	 * @param term the term
	 * @param owner the owner id
	 * @param grantedAt when leadership was granted
	 */
	public Leadership {
		Objects.requireNonNull(name, "name must not be null");
		Objects.requireNonNull(owner, "owner must not be null");
		Objects.requireNonNull(grantedAt, "grantedAt must not be null");
	}

}
