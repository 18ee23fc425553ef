package dev.locksmith.boot.aop;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations the {@code @DistributedLock} advice records, and their low-cardinality keys. With
 * Micrometer's default meter handler each also becomes a timer of the same name.
 */
public enum LockObservationDocumentation implements ObservationDocumentation {

	/**
	 * Acquiring a lock, from the request until it is granted, skipped or fails.
	 */
	ACQUIRE {

		@Override
		public String getName() {
			return "locksmith.acquire";
		}

		@Override
		public String getContextualName() {
			return "lock acquire";
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return LockKeys.values();
		}

	},

	/**
	 * Holding a lock, from the grant until the release (or the loss, reported as an error).
	 */
	HOLD {

		@Override
		public String getName() {
			return "locksmith.hold";
		}

		@Override
		public String getContextualName() {
			return "lock hold";
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return new KeyName[] { LockKeys.NAME, LockKeys.PROVIDER };
		}

	};

	/**
	 * Low-cardinality keys of the lock observations. The raw lock key is never a key value.
	 */
	public enum LockKeys implements KeyName {

		/** The lock's name (the annotation's {@code name}, or its key expression). */
		NAME {
			@Override
			public String asString() {
				return "locksmith.lock.name";
			}
		},

		/** The provider: memory, redis, jdbc. */
		PROVIDER {
			@Override
			public String asString() {
				return "locksmith.provider";
			}
		},

		/** For {@link #ACQUIRE}: acquired, skipped, timeout or error. */
		OUTCOME {
			@Override
			public String asString() {
				return "locksmith.outcome";
			}
		}

	}

}
