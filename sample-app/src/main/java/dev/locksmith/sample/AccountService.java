package dev.locksmith.sample;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Service;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

/**
 * Uses the injected {@link MutexService} directly: a read-modify-write of an account balance under a
 * per-account lock.
 */
@Service
public class AccountService {

	private final MutexService locks;

	private final Map<String, Long> balances = new ConcurrentHashMap<>();

	/**
	 * Creates the service.
	 * @param locks the lock service configured by the starter
	 */
	public AccountService(MutexService locks) {
		this.locks = locks;
	}

	/**
	 * Adds {@code amount} to an account's balance.
	 * @param accountId the account
	 * @param amount the amount to add
	 * @return the new balance
	 */
	public long deposit(String accountId, long amount) {
		return this.locks.withLock("account:" + accountId, () -> {
			long balance = this.balances.getOrDefault(accountId, 0L) + amount;
			this.balances.put(accountId, balance);
			return balance;
		});
	}

	/**
	 * Moves money between two accounts, locking both in a fixed order to avoid deadlock.
	 * @param from the debited account
	 * @param to the credited account
	 * @param amount the amount
	 */
	public void transfer(String from, String to, long amount) {
		String first = (from.compareTo(to) < 0) ? from : to;
		String second = first.equals(from) ? to : from;
		LockOptions options = LockOptions.waitTime(Duration.ofSeconds(5)).withName("account-transfer");
		try (LockHandle a = this.locks.acquire("account:" + first, options);
				LockHandle b = this.locks.acquire("account:" + second, options)) {
			this.balances.merge(from, -amount, Long::sum);
			this.balances.merge(to, amount, Long::sum);
		}
	}

	/**
	 * Returns an account's balance.
	 * @param accountId the account
	 * @return the balance
	 */
	public long balance(String accountId) {
		return this.balances.getOrDefault(accountId, 0L);
	}

}
