package dev.locksmith.boot.aop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leases of other keys, lost, whose {@code onLost} callbacks block (user code waiting on something that
 * does not answer) on more threads than the engine's onLost pool has, until closed.
 */
final class BlockedCallbacks implements AutoCloseable {

	private final CountDownLatch unblock = new CountDownLatch(1);

	private final List<LockHandle> handles = new ArrayList<>();

	BlockedCallbacks(MutexService locks) throws InterruptedException {
		CountDownLatch entered = new CountDownLatch(4);
		for (int i = 0; i < 8; i++) {
			LockHandle handle = locks.acquire("blocker-" + i,
					LockOptions.ttl(Duration.ofMillis(300)).withAutoExtend(false));
			handle.onLost(() -> {
				entered.countDown();
				try {
					this.unblock.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			});
			this.handles.add(handle);
		}
		assertThat(entered.await(30, TimeUnit.SECONDS)).as("the blocking callbacks run").isTrue();
	}

	@Override
	public void close() {
		this.unblock.countDown();
		this.handles.forEach(LockHandle::release);
	}

}
