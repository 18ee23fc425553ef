package dev.locksmith.boot.leader;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method only while this application is leader; otherwise the call is skipped and
 * returns {@code null}. Meant for {@code @Scheduled} jobs that every instance schedules but only the leader
 * should run:
 *
 * <pre>{@code
 * @Scheduled(fixedDelay = 60_000)
 * @LeaderOnly
 * void rebuildIndex() { ... }
 * }</pre>
 *
 * Leadership is checked when the call starts ({@link dev.locksmith.leader.LeaderElection#isLeader()},
 * which honours the lease's local deadline); a leader that loses leadership while the method runs is not
 * interrupted, so fence its writes with the term
 * ({@link dev.locksmith.leader.LeaderElection#leadership()}). Methods returning a primitive other than
 * {@code void} cannot be skipped and are rejected on their first call.
 */
@Target({ ElementType.METHOD, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LeaderOnly {

	/**
	 * Returns the name of the election to check; empty for the application's only election
	 * ({@code locksmith.leader.name}).
	 * @return the election name
	 */
	String value() default "";

}
