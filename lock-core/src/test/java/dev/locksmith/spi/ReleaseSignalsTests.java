package dev.locksmith.spi;

import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;

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

}
