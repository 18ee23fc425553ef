package dev.locksmith.boot.observation;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

import dev.locksmith.LockHandle;
import dev.locksmith.boot.observation.LockObservationDocumentation.HighCardinalityKeys;
import dev.locksmith.boot.observation.LockObservationDocumentation.LowCardinalityKeys;

/**
 * The default {@link LockObservationConvention}: low-cardinality keys {@code name}, {@code provider} and (once ended) {@code outcome}, and the fencing token
 * of a hold as a high-cardinality key (spans only). The raw lock key is never a key value. The names and
 * low-cardinality keys equal those of Locksmith's listener meters, so a dashboard works with either.
 * {@link #getName()} returns {@code null}: each observation keeps the name of its phase, set on its context
 * ({@link LockObservationDocumentation#ACQUIRE} {@value LockObservationDocumentation#ACQUIRE_NAME},
 * {@link LockObservationDocumentation#HOLD} {@value LockObservationDocumentation#HOLD_NAME}).
 */
public class DefaultLockObservationConvention implements LockObservationConvention {

	/** The shared instance. */
	public static final DefaultLockObservationConvention INSTANCE = new DefaultLockObservationConvention();

	/**
	 * Returns {@code null}, so that each observation keeps the name of its phase.
	 * @return {@code null}
	 */
	@Override
	public @Nullable String getName() {
		return null;
	}

	@Override
	public String getContextualName(LockObservationContext context) {
		return (context.getPhase() == LockObservationContext.Phase.ACQUIRE) ? "lock acquire" : "lock hold";
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(LockObservationContext context) {
		KeyValues values = KeyValues.of(KeyValue.of(LowCardinalityKeys.NAME, context.getLockName()),
				KeyValue.of(LowCardinalityKeys.PROVIDER, context.getProvider()));
		String outcome = context.getOutcome();
		return (outcome != null) ? values.and(KeyValue.of(LowCardinalityKeys.OUTCOME, outcome)) : values;
	}

	@Override
	public KeyValues getHighCardinalityKeyValues(LockObservationContext context) {
		LockHandle handle = context.getHandle();
		return (handle != null)
				? KeyValues.of(KeyValue.of(HighCardinalityKeys.FENCING_TOKEN, Long.toString(handle.fencingToken())))
				: KeyValues.empty();
	}

}
