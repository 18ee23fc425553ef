package dev.locksmith.engine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.tck.ForwardingLockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link LockHandle#releasePermits} when the backend applied a partial release but its answer was lost: the
 * handle must never claim more permits than the backend counts for it (a holder using {@code permits()}
 * would otherwise use more than the semaphore's limit).
 */
class PartialReleaseTests {

	private final MemoryLockProvider memory = new MemoryLockProvider();

	/** Applies the next partial release, then loses its answer. */
	private final AtomicBoolean loseNextAnswer = new AtomicBoolean();

	private final LockEngine engine = Locksmith.builder(new ForwardingLockProvider(this.memory) {
		@Override
		public boolean reducePermits(LeaseRef lease, int permits) {
			boolean live = super.reducePermits(lease, permits);
			if (PartialReleaseTests.this.loseNextAnswer.getAndSet(false)) {
				throw new LockProviderUnavailableException(lease.key(), "answer lost", null);
			}
			return live;
		}
	}).keyPrefix("partial:").build();

	@AfterEach
	void close() {
		this.engine.close();
	}

	@Test
	void aLaterPartialReleaseAfterALostAnswerNeverReportsMorePermitsThanTheBackendCounts() {
		LockHandle three = this.engine.semaphore("s", 4).acquire(3, LockOptions.waitTime(Duration.ZERO));
		this.loseNextAnswer.set(true);
		assertThatExceptionOfType(LockProviderUnavailableException.class).isThrownBy(() -> three.releasePermits(2));
		// the backend now counts 1 for this lease; the holder, told nothing, gives back one of the 3 it thinks it has
		int left = three.releasePermits(1);
		int counted = this.memory.inspect("partial:s").leases().stream().mapToInt(LeaseInfo::permits).sum();
		assertThat(counted).isEqualTo(1);
		assertThat(three.permits()).as("never more than the backend counts").isLessThanOrEqualTo(counted);
		assertThat(left).isEqualTo(three.permits());
		three.close();
	}

}
