/**
 * Leader election on top of the lease engine, so it works on every provider: one
 * {@link dev.locksmith.leader.LeaderElection} per name and process, whose candidate holds an
 * auto-extended lease while it leads. The lease's fencing token is the leader's
 * {@linkplain dev.locksmith.leader.Leadership#term() term}. No Spring types here; the Boot starter wraps
 * an election in a lifecycle bean, application events and a {@code @LeaderOnly} advice.
 */
@NullMarked
package dev.locksmith.leader;

import org.jspecify.annotations.NullMarked;
