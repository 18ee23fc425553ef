package dev.locksmith.provider.support;

import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.ReleaseSubscription;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who a release wakes.
 */
class ReleaseSignalsTests {

	private final ReleaseSignals signals = new ReleaseSignals();

	@Test
	void aReleaseWakesTheOldestExclusiveWaiterOnly() throws Exception {
		ReleaseSubscription first = this.signals.subscribe("k", LeaseType.WRITE);
		ReleaseSubscription second = this.signals.subscribe("k", LeaseType.WRITE);
		this.signals.signal("k");
		assertThat(first.await(0)).isTrue();
		assertThat(second.await(0)).isFalse();
		this.signals.signal("k");
		assertThat(first.await(0)).as("the oldest waiter is still first in line").isTrue();
		assertThat(second.await(0)).isFalse();
	}

	@Test
	void aWaiterAlreadyWokenIsSkipped() throws Exception {
		ReleaseSubscription first = this.signals.subscribe("k", LeaseType.WRITE);
		ReleaseSubscription second = this.signals.subscribe("k", LeaseType.WRITE);
		this.signals.signal("k");
		this.signals.signal("k");
		assertThat(first.await(0)).isTrue();
		assertThat(second.await(0)).isTrue();
	}

	@Test
	void aWakeUpLeftUnusedIsPassedOn() throws Exception {
		ReleaseSubscription first = this.signals.subscribe("k", LeaseType.WRITE);
		ReleaseSubscription second = this.signals.subscribe("k", LeaseType.WRITE);
		this.signals.signal("k");
		first.close();
		assertThat(second.await(0)).isTrue();
	}

	@Test
	void sharedWaitersAreAllWoken() throws Exception {
		ReleaseSubscription reader1 = this.signals.subscribe("k", LeaseType.READ);
		ReleaseSubscription reader2 = this.signals.subscribe("k", LeaseType.PERMITS);
		ReleaseSubscription writer = this.signals.subscribe("k", LeaseType.WRITE);
		ReleaseSubscription other = this.signals.subscribe("other", LeaseType.WRITE);
		this.signals.signal("k");
		assertThat(reader1.await(0)).isTrue();
		assertThat(reader2.await(0)).isTrue();
		assertThat(writer.await(0)).isTrue();
		assertThat(other.await(0)).isFalse();
	}

	@Test
	void aSignalBeforeAwaitIsNotLostAndClosingForgetsTheKey() throws Exception {
		ReleaseSubscription subscription = this.signals.subscribe("k");
		this.signals.signal("k");
		assertThat(subscription.await(1_000_000_000L)).isTrue();
		assertThat(this.signals.hasWaiters("k")).isTrue();
		subscription.close();
		subscription.close();
		assertThat(this.signals.hasWaiters("k")).isFalse();
		assertThat(this.signals.keys()).isEmpty();
	}

	@Test
	void signalAllWakesEveryone() throws Exception {
		ReleaseSubscription first = this.signals.subscribe("a", LeaseType.WRITE);
		ReleaseSubscription second = this.signals.subscribe("a", LeaseType.WRITE);
		ReleaseSubscription third = this.signals.subscribe("b", LeaseType.WRITE);
		this.signals.signalAll();
		assertThat(first.await(0)).isTrue();
		assertThat(second.await(0)).isTrue();
		assertThat(third.await(0)).isTrue();
	}

	/**
	 * A waiter that closes at the moment a release picks it must pass the wake-up on: otherwise the next
	 * exclusive waiter sleeps through the release. Real threads, started together by a barrier, many rounds.
	 */
	@Test
	void aWaiterClosingWhileItIsSignalledPassesTheWakeUpOn() throws Exception {
		java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newFixedThreadPool(2);
		try {
			for (int round = 0; round < 20_000; round++) {
				String key = "k" + round;
				ReleaseSubscription leaving = this.signals.subscribe(key, LeaseType.WRITE);
				ReleaseSubscription next = this.signals.subscribe(key, LeaseType.WRITE);
				java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
				java.util.concurrent.Future<?> closing = executor.submit(() -> {
					start.await();
					leaving.close();
					return null;
				});
				java.util.concurrent.Future<?> signalling = executor.submit(() -> {
					start.await();
					this.signals.signal(key);
					return null;
				});
				closing.get();
				signalling.get();
				// the leaving waiter never awaited: whether the release picked it or not, the next one is woken
				assertThat(next.await(0)).as("round %d: the next exclusive waiter is woken", round).isTrue();
				next.close();
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	/**
	 * The same race, made deterministic: the waiter closes exactly between the release choosing it and the
	 * wake-up being handed over.
	 */
	@Test
	void aCloseBetweenChoosingAWaiterAndWakingItPassesTheWakeUpOn() throws Exception {
		ReleaseSubscription[] leaving = new ReleaseSubscription[1];
		ReleaseSignals racing = new ReleaseSignals(() -> leaving[0].close());
		leaving[0] = racing.subscribe("k", LeaseType.WRITE);
		ReleaseSubscription next = racing.subscribe("k", LeaseType.WRITE);
		racing.signal("k");
		assertThat(next.await(0)).as("the next exclusive waiter is woken").isTrue();
	}

}
