package dev.locksmith.boot.annotation;

/**
 * Whether a {@link DistributedLock @DistributedLock} lease is renewed while held. Tri-state so that the
 * library's rule holds by default: renewed when no TTL is given, fixed when one is.
 */
public enum AutoExtend {

	/** Renewed while held unless the annotation sets a {@code ttl}. */
	DEFAULT,

	/** Always renewed while held, at a third of the TTL. */
	TRUE,

	/** Never renewed: the lease expires after its TTL even if the method still runs. */
	FALSE

}
