package dev.locksmith;

import java.time.Instant;

/**
 * The system clock behind {@link LockClock#system()}.
 */
enum SystemLockClock implements LockClock {

	INSTANCE;

	@Override
	public long nanoTime() {
		return System.nanoTime();
	}

	@Override
	public Instant now() {
		return Instant.now();
	}

}
