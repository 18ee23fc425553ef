package dev.locksmith.engine;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

import dev.locksmith.LockStatistics;

/**
 * The counters behind {@link LockEngine#statistics()}.
 */
final class EngineStatistics {

	final LongAdder acquired = new LongAdder();

	final LongAdder failed = new LongAdder();

	final LongAdder released = new LongAdder();

	final LongAdder lost = new LongAdder();

	final LongAdder renewSuccess = new LongAdder();

	final LongAdder renewFailed = new LongAdder();

	final LongAdder holdNanos = new LongAdder();

	LockStatistics snapshot(int active) {
		return new LockStatistics(this.acquired.sum(), this.failed.sum(), this.released.sum(), this.lost.sum(),
				this.renewSuccess.sum(), this.renewFailed.sum(), active, Duration.ofNanos(this.holdNanos.sum()));
	}

}
