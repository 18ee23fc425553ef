package dev.locksmith.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many HTTP clients at once on one service: never two holders, and waiters are served one after another.
 */
class RestConcurrencyTests extends LockServerTestSupport {

	private static final int CLIENTS = 6;

	@Test
	void simultaneousCreatesHaveExactlyOneWinner() throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
		try {
			for (int round = 0; round < 5; round++) {
				CountDownLatch start = new CountDownLatch(1);
				List<Future<Reply>> replies = new ArrayList<>();
				for (int i = 0; i < CLIENTS; i++) {
					String who = "client-" + i;
					replies.add(pool.submit(() -> {
						start.await();
						return post("/api/v1alpha1/lock", lockBody("race", who));
					}));
				}
				start.countDown();
				List<Reply> won = new ArrayList<>();
				int conflicts = 0;
				for (Future<Reply> reply : replies) {
					Reply r = reply.get(30, TimeUnit.SECONDS);
					if (r.status() == 200) {
						won.add(r);
					}
					else {
						assertThat(r.status()).isEqualTo(409);
						conflicts++;
					}
				}
				assertThat(won).as("round %d", round).hasSize(1);
				assertThat(conflicts).isEqualTo(CLIENTS - 1);
				assertThat(get("/api/v1alpha1/unlock/" + won.get(0).text("id")).status()).isEqualTo(200);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void waitersTakeTurnsWithIncreasingFencingTokens() throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
		AtomicInteger holders = new AtomicInteger();
		AtomicInteger overlaps = new AtomicInteger();
		ConcurrentLinkedQueue<Long> tokens = new ConcurrentLinkedQueue<>();
		try {
			List<Future<Integer>> results = new ArrayList<>();
			for (int i = 0; i < CLIENTS; i++) {
				String who = "waiter-" + i;
				results.add(pool.submit(() -> {
					Reply reply = post("/api/v1alpha1/lock",
							"{\"service\": \"turns\", \"who\": \"" + who + "\", \"wait\": \"10s\", \"ttl\": \"20s\"}");
					if (reply.status() != 200) {
						return reply.status();
					}
					if (holders.incrementAndGet() != 1) {
						overlaps.incrementAndGet();
					}
					tokens.add(reply.json().get("fencingToken").asLong());
					Thread.sleep(20);
					holders.decrementAndGet();
					return get("/api/v1alpha1/unlock/" + reply.text("id")).status();
				}));
			}
			for (Future<Integer> result : results) {
				assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo(200);
			}
		}
		finally {
			pool.shutdownNow();
		}
		assertThat(overlaps).hasValue(0);
		// added while holding the lock, so in grant order: strictly increasing
		assertThat(new ArrayList<>(tokens)).hasSize(CLIENTS).doesNotHaveDuplicates().isSorted();
	}

}
