package dev.locksmith;

/**
 * Whether a key is held by anyone, as seen by {@link MutexService#inspect(String)}.
 */
public enum LockPhase {

	/** No live lease on the key. */
	UNLOCKED,

	/** At least one live lease on the key. */
	LOCKED

}
