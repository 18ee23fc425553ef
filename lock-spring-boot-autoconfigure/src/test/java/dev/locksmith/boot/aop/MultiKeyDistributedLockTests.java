package dev.locksmith.boot.aop;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;
import dev.locksmith.LockContext;
import dev.locksmith.boot.annotation.OnLocked;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @DistributedLock(keys = ...)}: every key held for the call, in a deadlock-free order, all or
 * nothing; invalid combinations fail startup.
 */
class MultiKeyDistributedLockTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class));

	@Test
	void transfersInOppositeDirectionsNeverOverlapNorDeadlock() {
		this.contextRunner.withBean(Accounts.class).run((context) -> {
			Accounts accounts = context.getBean(Accounts.class);
			ExecutorService pool = Executors.newFixedThreadPool(2);
			try {
				List<Future<?>> runs = List.of(pool.submit(() -> {
					for (int i = 0; i < 300; i++) {
						accounts.transfer("a", "b");
					}
				}), pool.submit(() -> {
					for (int i = 0; i < 300; i++) {
						accounts.transfer("b", "a");
					}
				}));
				for (Future<?> run : runs) {
					run.get(2, TimeUnit.MINUTES);
				}
			}
			finally {
				pool.shutdownNow();
			}
			assertThat(accounts.overlaps()).isZero();
			assertThat(accounts.transfers()).isEqualTo(600);
			assertThat(context.getBean(MutexService.class).activeLockCount()).isZero();
		});
	}

	@Test
	void everyKeyIsHeldAndBoundDuringTheCall() {
		this.contextRunner.withBean(Accounts.class).run((context) -> {
			Accounts accounts = context.getBean(Accounts.class);
			MutexService locks = context.getBean(MutexService.class);
			Map<String, Long> tokens = accounts.tokens("x", "y");
			assertThat(tokens).containsOnlyKeys("account:x", "account:y");
			assertThat(tokens.values()).allMatch((token) -> token > 0);
			assertThat(locks.activeLockCount()).isZero();
		});
	}

	@Test
	void skipWhenOneKeyIsBusyTakesNone() {
		this.contextRunner.withBean(Accounts.class).run((context) -> {
			Accounts accounts = context.getBean(Accounts.class);
			MutexService locks = context.getBean(MutexService.class);
			LockHandle busy = CompletableFuture
				.supplyAsync(() -> locks.acquire("account:q", LockOptions.waitTime(Duration.ZERO)))
				.get(10, TimeUnit.SECONDS);
			try {
				assertThat(accounts.skipIfBusy("p", "q")).isFalse();
				assertThat(locks.isLocked("account:p")).as("the free key was not kept").isFalse();
			}
			finally {
				busy.release();
			}
			assertThat(accounts.skipIfBusy("p", "q")).isTrue();
		});
	}

	@Test
	void aCompletionStageHoldsEveryKeyUntilItCompletes() {
		this.contextRunner.withBean(Accounts.class).run((context) -> {
			Accounts accounts = context.getBean(Accounts.class);
			MutexService locks = context.getBean(MutexService.class);
			CompletableFuture<String> work = new CompletableFuture<>();
			CompletableFuture<String> result = accounts.later("m", "n", work);
			assertThat(locks.isLocked("account:m") && locks.isLocked("account:n")).isTrue();
			work.complete("ok");
			assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
			assertThat(locks.isLocked("account:m") || locks.isLocked("account:n")).isFalse();
		});
	}

	@Test
	void aKeyHeldFurtherUpTheCallChainIsJoined() {
		this.contextRunner.withBean(Accounts.class).withBean(Teller.class).run((context) -> {
			Teller teller = context.getBean(Teller.class);
			MutexService locks = context.getBean(MutexService.class);
			Map<String, Long> tokens = teller.audit("u", "v");
			assertThat(tokens).containsOnlyKeys("account:u", "account:v");
			assertThat(locks.activeLockCount()).isZero();
		});
	}

	@Test
	void keyAndKeysTogetherFailStartup() {
		this.contextRunner.withBean(Both.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("Both.run()")
				.hasStackTraceContaining("either key or keys"));
	}

	@Test
	void keysWithAFencingTokenParameterFailStartup() {
		this.contextRunner.withBean(KeysWithToken.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("KeysWithToken.run(long)")
				.hasStackTraceContaining("LockContext.find(key)"));
	}

	@Test
	void keysOnAMonoFailStartup() {
		this.contextRunner.withBean(KeysOnMono.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("KeysOnMono.run()")
				.hasStackTraceContaining("keys is not supported"));
	}

	static class Accounts {

		final Set<String> holders = ConcurrentHashMap.newKeySet();

		final AtomicInteger overlaps = new AtomicInteger();

		final AtomicInteger transfers = new AtomicInteger();

		public int overlaps() {
			return this.overlaps.get();
		}

		public int transfers() {
			return this.transfers.get();
		}

		@DistributedLock(keys = { "'account:' + #from", "'account:' + #to" }, waitTime = "60s")
		public void transfer(String from, String to) {
			for (String key : List.of(from, to)) {
				if (!this.holders.add(key)) {
					this.overlaps.incrementAndGet();
				}
			}
			Thread.yield();
			this.holders.remove(from);
			this.holders.remove(to);
			this.transfers.incrementAndGet();
		}

		@DistributedLock(keys = { "'account:' + #b", "'account:' + #a" })
		public Map<String, Long> tokens(String a, String b) {
			return Map.of("account:" + a, LockContext.find("account:" + a).orElseThrow().fencingToken(),
					"account:" + b, LockContext.find("account:" + b).orElseThrow().fencingToken());
		}

		@DistributedLock(keys = { "'account:' + #a", "'account:' + #b" }, onLocked = OnLocked.SKIP)
		public boolean skipIfBusy(String a, String b) {
			return true;
		}

		@DistributedLock(keys = { "'account:' + #a", "'account:' + #b" })
		public CompletableFuture<String> later(String a, String b, CompletableFuture<String> work) {
			return work;
		}

	}

	static class Teller {

		private final Accounts accounts;

		Teller(Accounts accounts) {
			this.accounts = accounts;
		}

		@DistributedLock(key = "'account:' + #a")
		public Map<String, Long> audit(String a, String b) {
			long outer = LockContext.currentToken();
			Map<String, Long> tokens = this.accounts.tokens(a, b);
			if (tokens.get("account:" + a) != outer) {
				throw new IllegalStateException("the nested call did not join the outer lease");
			}
			return tokens;
		}

	}

	static class Both {

		@DistributedLock(key = "'a'", keys = { "'b'" })
		public void run() {
		}

	}

	static class KeysWithToken {

		@DistributedLock(keys = { "'a'", "'b'" })
		public void run(@FencingToken long token) {
		}

	}

	static class KeysOnMono {

		@DistributedLock(keys = { "'a'", "'b'" })
		public Mono<String> run() {
			return Mono.just("x");
		}

	}

}
