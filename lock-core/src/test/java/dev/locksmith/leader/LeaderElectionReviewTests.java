package dev.locksmith.leader;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Review cases for {@link LeaderElection}: start and stop from different threads.
 */
class LeaderElectionReviewTests {

	@Test
	void aStartWhileTheLastStopIsStillDeliveringDoesNotOverlapCallbacksOrReorderThem() throws Exception {
		try (LockEngine engine = Locksmith.builder(new MemoryLockProvider()).build()) {
			List<String> log = new CopyOnWriteArrayList<>();
			AtomicInteger running = new AtomicInteger();
			AtomicInteger overlaps = new AtomicInteger();
			CountDownLatch revokedEntered = new CountDownLatch(1);
			CountDownLatch finishRevoked = new CountDownLatch(1);
			LeaderElection election = LeaderElection.builder(engine, "jobs")
				.ttl(Duration.ofSeconds(30))
				.yieldDelay(Duration.ZERO)
				.listener(new LeaderListener() {
					@Override
					public void granted(Leadership leadership) {
						enter();
						log.add("granted " + leadership.term());
						running.decrementAndGet();
					}

					@Override
					public void revoked(Leadership leadership, RevocationReason reason) {
						enter();
						log.add("revoked " + leadership.term() + " " + reason);
						if (log.size() == 2) {
							revokedEntered.countDown();
							try {
								finishRevoked.await(30, TimeUnit.SECONDS); // a slow listener
							}
							catch (InterruptedException ex) {
								Thread.currentThread().interrupt();
							}
						}
						running.decrementAndGet();
					}

					private void enter() {
						if (running.incrementAndGet() > 1) {
							overlaps.incrementAndGet();
						}
					}
				})
				.build();
			try {
				election.start();
				await().atMost(Duration.ofSeconds(10)).until(() -> log.size() == 1);
				Thread stopper = new Thread(election::stop, "stopper");
				stopper.start();
				assertThat(revokedEntered.await(10, TimeUnit.SECONDS)).isTrue();
				// Another thread starts the election again while stop() still waits for the slow callback.
				election.start();
				try {
					await().atMost(Duration.ofSeconds(2)).until(() -> log.size() == 3);
				}
				catch (ConditionTimeoutException expected) {
					// the new run waits for the old one's callbacks: nothing granted yet
				}
				finishRevoked.countDown();
				stopper.join(10_000);
				await().atMost(Duration.ofSeconds(10)).until(() -> log.size() == 3);
				assertThat(overlaps).as("callbacks never run at the same time").hasValue(0);
				assertThat(log.get(1)).startsWith("revoked");
				assertThat(log.get(2)).startsWith("granted");
			}
			finally {
				finishRevoked.countDown();
				election.stop();
			}
		}
	}

}
