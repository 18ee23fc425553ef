package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The renewal scheduler on the real clock: leases acquired one after another keep being renewed together,
 * at most a couple of provider calls per renewal interval, however the scheduled runs interleave with new
 * acquisitions. (The other engine tests drive renewal runs by hand on a manual clock; this one checks the
 * scheduling itself.)
 */
class RenewalSchedulingTests {

	private static final Duration TTL = Duration.ofMillis(300);

	@Test
	void staggeredAcquisitionsDoNotMultiplyRenewalRuns() throws InterruptedException {
		CountingLockProvider provider = new CountingLockProvider(new MemoryLockProvider());
		try (LockEngine engine = Locksmith.builder(provider).build()) {
			LockOptions options = LockOptions.ttl(TTL).withAutoExtend(true);
			List<LockHandle> handles = new ArrayList<>();
			// one acquisition every 10 ms over four renewal intervals: every scheduled run overlaps with new leases
			for (int i = 0; i < 40; i++) {
				handles.add(engine.acquire("k" + i, options));
				TimeUnit.MILLISECONDS.sleep(10);
			}
			int before = provider.renewCalls.get();
			long start = System.nanoTime();
			TimeUnit.MILLISECONDS.sleep(1000);
			int calls = provider.renewCalls.get() - before;
			long intervals = Math.max(1, (System.nanoTime() - start) / (TTL.toNanos() / 3));
			assertThat(handles).allMatch(LockHandle::isValid);
			assertThat(calls).as("renewal calls in %d intervals", intervals).isPositive().isLessThanOrEqualTo((int) (2 * intervals + 2));
			handles.forEach(LockHandle::release);
		}
	}

}
