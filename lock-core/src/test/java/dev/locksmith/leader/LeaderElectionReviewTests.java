package dev.locksmith.leader;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import dev.locksmith.Backoff;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Review cases for {@link LeaderElection}: start and stop from different threads; engine defaults meant for
 * ordinary locks (an attempt limit, a minimum hold) must not change how an election contends and hands over.
 */
class LeaderElectionReviewTests {

	@Test
	void aFollowerDoesNotSpinWhenTheServiceDefaultsLimitAttempts() throws Exception {
		MemoryLockProvider memory = new MemoryLockProvider();
		CountingLockProvider counting = new CountingLockProvider(memory);
		// locksmith.retry.max-attempts=1: fail fast for @DistributedLock
		LockOptions tryOnce = LockOptions.defaults().withBackoff(Backoff.defaults().withMaxAttempts(1));
		try (LockEngine leaderEngine = Locksmith.builder(memory).build();
				LockEngine followerEngine = Locksmith.builder(counting).defaults(tryOnce).build();
				LeaderElection leader = LeaderElection.builder(leaderEngine, "jobs").build();
				LeaderElection follower = LeaderElection.builder(followerEngine, "jobs").build()) {
			leader.start();
			await().atMost(Duration.ofSeconds(10)).until(leader::isLeader);
			follower.start();
			await().atMost(Duration.ofSeconds(10)).until(() -> counting.acquires.get() >= 1);
			// the follower waits for a release signal or the holder's expiry; it does not hammer the backend
			await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
				.until(() -> counting.acquires.get() < 20);
			leader.stop();
			await().atMost(Duration.ofSeconds(10)).until(follower::isLeader);
		}
	}

	@Test
	void yieldHandsOverAtOnceWhenTheServiceDefaultsSetAMinimumHold() throws Exception {
		ManualClock clock = new ManualClock();
		MemoryLockProvider memory = new MemoryLockProvider(clock);
		LockOptions holdTenSeconds = LockOptions.defaults().withMinHold(Duration.ofSeconds(10));
		try (LockEngine first = Locksmith.builder(memory).clock(clock).defaults(holdTenSeconds).build();
				LockEngine second = Locksmith.builder(memory).clock(clock).build();
				LeaderElection a = LeaderElection.builder(first, "jobs").yieldDelay(Duration.ofHours(1)).build();
				LeaderElection b = LeaderElection.builder(second, "jobs").build()) {
			a.start();
			await().atMost(Duration.ofSeconds(10)).until(a::isLeader);
			b.start();
			assertThat(a.yield()).isTrue();
			// no time passes on the service clock: the lease must be gone, not kept for the minimum hold
			await().atMost(Duration.ofSeconds(10)).until(b::isLeader);
			assertThat(a.isLeader()).isFalse();
		}
	}

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

	@Test
	void aKeyTheProviderRefusesIsBadInputNotAnOutageRetriedForever() throws Exception {
		MemoryLockProvider memory = new MemoryLockProvider();
		AtomicInteger acquires = new AtomicInteger();
		// a provider with a key limit (JDBC: 512 characters, Redis: 1024 bytes) refuses a long election name
		LockProvider limited = (LockProvider) Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] { LockProvider.class }, (proxy, method, args) -> {
					if (method.getName().equals("acquire")) {
						acquires.incrementAndGet();
						throw new IllegalArgumentException("the key must not exceed 512 characters");
					}
					try {
						return method.invoke(memory, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
				});
		try (LockEngine engine = Locksmith.builder(limited).build();
				LeaderElection election = LeaderElection.builder(engine, "x".repeat(600)).build()) {
			election.start();
			await().atMost(Duration.ofSeconds(10)).until(() -> !election.isRunning());
			assertThat(acquires).as("bad input is not retried").hasValue(1);
			assertThat(election.isLeader()).isFalse();
		}
	}

}
