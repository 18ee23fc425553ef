/**
 * Spring integration of {@link dev.locksmith.leader.LeaderElection}: a {@code SmartLifecycle} that starts
 * and stops the election with the context ({@link dev.locksmith.boot.leader.LeaderElectionLifecycle}),
 * application events on grant and revocation ({@link dev.locksmith.boot.leader.LeaderGrantedEvent},
 * {@link dev.locksmith.boot.leader.LeaderRevokedEvent}), the
 * {@link dev.locksmith.boot.leader.LeaderOnly &#64;LeaderOnly} advice for scheduled methods, meters and a health contributor.
 */
@NullMarked
package dev.locksmith.boot.leader;

import org.jspecify.annotations.NullMarked;
