package dev.locksmith.boot.leader;

import java.util.List;
import java.util.Locale;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.LeaderListener;
import dev.locksmith.leader.Leadership;
import dev.locksmith.leader.RevocationReason;

/**
 * Micrometer meters of one election:
 * <ul>
 * <li>{@value #LEADER}: gauge, 1 while this application is leader (read through
 * {@link LeaderElection#isLeader()}, so it drops at the lease's local deadline), else 0; tag
 * {@value #TAG_NAME};</li>
 * <li>{@value #TRANSITIONS}: counter of leadership changes; tags {@value #TAG_NAME}, {@value #TAG_TRANSITION}
 * ({@code granted} or {@code revoked}) and {@value #TAG_REASON} ({@code none} for a grant, else
 * {@code released}, {@code lost} or {@code stopped}).</li>
 * </ul>
 */
public class LeaderMetrics {

	/** Gauge: 1 while leader. */
	public static final String LEADER = "locksmith.leader";

	/** Counter of grants and revocations. */
	public static final String TRANSITIONS = "locksmith.leader.transitions";

	/** Tag: the election name. */
	public static final String TAG_NAME = "name";

	/** Tag: {@code granted} or {@code revoked}. */
	public static final String TAG_TRANSITION = "transition";

	/** Tag: the revocation reason, {@code none} for grants. */
	public static final String TAG_REASON = "reason";

	private final MeterRegistry registry;

	/**
	 * Registers the meters of {@code election} and listens to it.
	 * @param election the election
	 * @param registry the registry
	 */
	public LeaderMetrics(LeaderElection election, MeterRegistry registry) {
		this(List.of(election), registry);
	}

	/**
	 * Registers the meters of each election and listens to them.
	 * @param elections the elections
	 * @param registry the registry
	 */
	public LeaderMetrics(List<LeaderElection> elections, MeterRegistry registry) {
		this.registry = registry;
		elections.forEach(this::register);
	}

	private void register(LeaderElection election) {
		String name = election.name();
		Gauge.builder(LEADER, election, (each) -> each.isLeader() ? 1 : 0)
			.tag(TAG_NAME, name)
			.description("1 while this application is leader of the election")
			.register(this.registry);
		election.addListener(new LeaderListener() {
			@Override
			public void granted(Leadership leadership) {
				counter(name, "granted", "none").increment();
			}

			@Override
			public void revoked(Leadership leadership, RevocationReason reason) {
				counter(name, "revoked", reason.name().toLowerCase(Locale.ROOT)).increment();
			}
		});
	}

	private Counter counter(String name, String transition, String reason) {
		return Counter.builder(TRANSITIONS)
			.tag(TAG_NAME, name)
			.tag(TAG_TRANSITION, transition)
			.tag(TAG_REASON, reason)
			.description("Leadership grants and revocations")
			.register(this.registry);
	}

}
