package dev.locksmith.boot.metrics;

/**
 * Names and tags of the Micrometer meters Locksmith records. Every meter is tagged by the lock's
 * <em>name</em> (low cardinality: the annotation's {@code name} or key expression, or
 * {@link dev.locksmith.LockOptions#withName}), never by the raw key.
 *
 * <p>The timers {@link #ACQUIRE}, {@link #HELD} and {@link #HELD_ACTIVE} come from one path only: from the
 * engine's observations when the application has an {@code ObservationRegistry} (then they also carry
 * Micrometer's {@code error} tag, and {@code locksmith.lock.acquire.active} counts acquisitions in progress),
 * else from {@link MicrometerLockListener}. The counters and the gauge always come from the listener.
 */
public final class LockMetricNames {

	/** Timer of acquisitions; tags {@value #TAG_NAME}, {@value #TAG_PROVIDER}, {@value #TAG_OUTCOME} (acquired, timeout, error). */
	public static final String ACQUIRE = "locksmith.lock.acquire";

	/** Timer of ended holds; tags {@value #TAG_NAME}, {@value #TAG_PROVIDER}, {@value #TAG_OUTCOME} (released, lost, error). */
	public static final String HELD = "locksmith.lock.held";

	/** Long-task timer of leases held now; tags {@value #TAG_NAME}, {@value #TAG_PROVIDER}. */
	public static final String HELD_ACTIVE = "locksmith.lock.held.active";

	/** Counter of leases lost while held; tags {@value #TAG_NAME}, {@value #TAG_PROVIDER}. */
	public static final String LOST = "locksmith.lock.lost";

	/** Counter of renewals; tags {@value #TAG_NAME}, {@value #TAG_PROVIDER}, {@value #TAG_OUTCOME} (success, failure). */
	public static final String RENEWALS = "locksmith.lock.renewals";

	/** Gauge of leases held now by this instance; tag {@value #TAG_PROVIDER}. */
	public static final String ACTIVE = "locksmith.lock.active";

	/** Tag: the lock name. */
	public static final String TAG_NAME = "name";

	/** Tag: the provider name. */
	public static final String TAG_PROVIDER = "provider";

	/** Tag: the outcome. */
	public static final String TAG_OUTCOME = "outcome";

	private LockMetricNames() {
	}

}
