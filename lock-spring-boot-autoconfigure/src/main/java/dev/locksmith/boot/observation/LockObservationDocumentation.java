package dev.locksmith.boot.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations of the lock engine and their keys. With Boot's meter observation handler each becomes
 * a timer of the same name (tags: the low-cardinality keys plus {@code error}) and a long-task timer named
 * {@code <name>.active}; with a tracer, a span.
 */
public enum LockObservationDocumentation implements ObservationDocumentation {

	/**
	 * Acquiring a lock, from the request until it is granted or given up (outcome {@code acquired},
	 * {@code timeout} or {@code error}).
	 */
	ACQUIRE {

		@Override
		public String getName() {
			return ACQUIRE_NAME;
		}

		@Override
		public String getContextualName() {
			return "lock acquire";
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return LowCardinalityKeys.values();
		}

		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultLockObservationConvention.class;
		}

	},

	/**
	 * Holding a lock, from the grant until the release or the loss (outcome {@code released}, {@code lost}
	 * or {@code error}, a release that did not reach the backend). Current while a {@code withLock} action or
	 * a synchronous {@code @DistributedLock} method runs.
	 */
	HOLD {

		@Override
		public String getName() {
			return HOLD_NAME;
		}

		@Override
		public String getContextualName() {
			return "lock hold";
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return LowCardinalityKeys.values();
		}

		@Override
		public KeyName[] getHighCardinalityKeyNames() {
			return HighCardinalityKeys.values();
		}

		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultLockObservationConvention.class;
		}

	};

	/** Name of the acquisition observation and of its timer. */
	public static final String ACQUIRE_NAME = "locksmith.lock.acquire";

	/** Name of the hold observation and of its timer. */
	public static final String HOLD_NAME = "locksmith.lock.held";

	/**
	 * Low-cardinality keys (metric tags). The raw lock key is never one.
	 */
	public enum LowCardinalityKeys implements KeyName {

		/** The lock's name ({@code LockOptions.withName}, the annotation's {@code name} or key expression). */
		NAME {
			@Override
			public String asString() {
				return "name";
			}
		},

		/** The provider: memory, redis, redlock, jdbc, etcd, kubernetes. */
		PROVIDER {
			@Override
			public String asString() {
				return "provider";
			}
		},

		/** How the phase ended; absent while it runs (so not on the long-task timer). */
		OUTCOME {
			@Override
			public String asString() {
				return "outcome";
			}
		}

	}

	/**
	 * High-cardinality keys (span attributes only).
	 */
	public enum HighCardinalityKeys implements KeyName {

		/** The fencing token of a hold. */
		FENCING_TOKEN {
			@Override
			public String asString() {
				return "locksmith.fencing.token";
			}
		}

	}

}
