package dev.locksmith.boot.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the lock observations. Declare a bean of this type to replace
 * {@link DefaultLockObservationConvention} (for example to extend it with a tag of your own).
 */
public interface LockObservationConvention extends ObservationConvention<LockObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof LockObservationContext;
	}

}
