package dev.locksmith.boot.docs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.event.LockLostEvent;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Spring snippets of README.md (quick start) and docs/spring-boot.md, compiled and run. The docs'
 * snippet check ({@code DocsSnippetTests} in lock-core) finds each snippet between its markers here; if
 * one changes, change the other.
 */
class BootDocsSnippetsTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class))
		.withBean(TokenService.class);

	@Test
	void theQuickStartAnnotationRunsTheMethodUnderItsLockWithAFencingToken() {
		this.contextRunner.run((context) -> {
			TokenService service = context.getBean(TokenService.class);
			MutexService locks = context.getBean(MutexService.class);
			AccessToken first = service.refresh("42", 0);
			AccessToken second = service.refresh("42", 0);
			assertThat(first.heldLock()).as("token:42 held while refresh ran").isTrue();
			assertThat(first.fencingToken()).isPositive();
			assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
			assertThat(locks.isLocked("token:42")).as("released after refresh returned").isFalse();
		});
	}

	@Test
	void theAccountServiceDepositsAndTransfersUnderItsLocks() {
		MutexService locks = Locksmith.builder(new MemoryLockProvider()).build();
		Accounts accounts = new Accounts(locks);
		Accounts.AccountService service = accounts.new AccountService(locks);

		assertThat(service.deposit("a", 100)).isEqualTo(100);
		service.transfer("a", "b", 30);
		service.transfer("b", "a", 10);

		assertThat(accounts.balances).containsEntry("a", 80L).containsEntry("b", 20L);
		assertThat(accounts.locksHeldDuringMoves).containsExactly(2, 2);
		assertThat(locks.activeLockCount()).isZero();
	}

	/** What the quick start's {@code refresh} returns: the fencing token it wrote with. */
	record AccessToken(String userId, String value, long fencingToken, boolean heldLock) {
	}

	/** The bean of the quick start's annotation example. */
	static class TokenService {

		private final MutexService locks;

		private final TokenStore store = new TokenStore();

		TokenService(MutexService locks) {
			this.locks = locks;
		}

		String newToken() {
			return "token-" + System.nanoTime();
		}

		// --- docs: quick start annotation (begin) ---
		@DistributedLock(key = "'token:' + #userId", name = "token-refresh", waitTime = "2s")
		public AccessToken refresh(String userId, @FencingToken long fencingToken) {   // callers pass 0
		    return store.write(userId, newToken(), fencingToken);                        // store rejects stale tokens
		}
		// --- docs: quick start annotation (end) ---

		/** A store that rejects a write with a token below the last one it accepted for the user. */
		final class TokenStore {

			private final Map<String, Long> lastToken = new ConcurrentHashMap<>();

			AccessToken write(String userId, String value, long fencingToken) {
				long last = this.lastToken.getOrDefault(userId, 0L);
				if (fencingToken <= last) {
					throw new IllegalStateException("stale fencing token " + fencingToken + " after " + last);
				}
				this.lastToken.put(userId, fencingToken);
				return new AccessToken(userId, value, fencingToken, locks.isLocked("token:" + userId));
			}

		}

	}

	/** The state the docs' {@code AccountService} works on: balances and the move between two accounts. */
	static class Accounts {

		final Map<String, Long> balances = new ConcurrentHashMap<>();

		final List<Integer> locksHeldDuringMoves = new CopyOnWriteArrayList<>();

		private final MutexService observed;

		Accounts(MutexService observed) {
			this.observed = observed;
		}

		void move(String from, String to, long amount) {
			this.locksHeldDuringMoves.add(this.observed.activeLockCount());
			this.balances.merge(from, -amount, Long::sum);
			this.balances.merge(to, amount, Long::sum);
		}

		// --- docs: account service (begin) ---
		@Service
		class AccountService {
		    private final MutexService locks;
		    AccountService(MutexService locks) { this.locks = locks; }

		    long deposit(String id, long amount) {
		        return locks.withLock("account:" + id, () -> balances.merge(id, amount, Long::sum));
		    }

		    void transfer(String from, String to, long amount) {    // both accounts, all or nothing, no deadlock
		        LockOptions options = LockOptions.waitTime(Duration.ofSeconds(5)).withName("account-transfer");
		        locks.withLocks(List.of("account:" + from, "account:" + to), options, () -> move(from, to, amount));
		    }
		}
		// --- docs: account service (end) ---

	}

	/** The events snippet of docs/spring-boot.md (compiled; {@code LockApplicationEventTests} runs events). */
	static class LostLockLogger {

		private static final Log log = LogFactory.getLog(LostLockLogger.class);

		// --- docs: lost event listener (begin) ---
		@EventListener
		void onLost(LockLostEvent event) {   // import dev.locksmith.boot.event.LockLostEvent
		    log.warn("lost " + event.getName() + " (fencing token " + event.getHandle().fencingToken() + ")");
		}
		// --- docs: lost event listener (end) ---

	}

}
