package dev.locksmith.boot.shedlock;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;

import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.testsupport.ManualClock;

/**
 * {@link AbstractShedLockProviderTests} on the in-memory provider with a manual clock.
 */
class MemoryShedLockProviderTests extends AbstractShedLockProviderTests {

	private final ManualClock clock = new ManualClock();

	private final LockEngine locks = Locksmith.builder(new MemoryLockProvider(this.clock)).clock(this.clock).build();

	@AfterEach
	void close() {
		this.locks.close();
	}

	@Override
	protected MutexService locks() {
		return this.locks;
	}

	@Override
	protected void advance(Duration duration) {
		this.clock.advance(duration);
	}

}
