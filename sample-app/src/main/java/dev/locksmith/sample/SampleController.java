package dev.locksmith.sample;

import java.util.Map;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.locksmith.sample.TokenRefreshService.AccessToken;

/**
 * HTTP entry points for trying the sample with curl.
 */
@RestController
public class SampleController {

	private final TokenRefreshService tokens;

	private final AccountService accounts;

	private final ReportScheduler reports;

	SampleController(TokenRefreshService tokens, AccountService accounts, ReportScheduler reports) {
		this.tokens = tokens;
		this.accounts = accounts;
		this.reports = reports;
	}

	/**
	 * Refreshes a user's token ({@code POST /users/alice/token}).
	 * @param userId the user
	 * @return the new token
	 */
	@PostMapping("/users/{userId}/token")
	AccessToken refresh(@PathVariable String userId) {
		return this.tokens.refresh(userId, 0);
	}

	/**
	 * Deposits into an account ({@code POST /accounts/a1/deposit?amount=10}).
	 * @param accountId the account
	 * @param amount the amount
	 * @return the new balance
	 */
	@PostMapping("/accounts/{accountId}/deposit")
	Map<String, Long> deposit(@PathVariable String accountId, @RequestParam long amount) {
		return Map.of("balance", this.accounts.deposit(accountId, amount));
	}

	/**
	 * Builds the report now, unless another instance holds its lock ({@code POST /reports}).
	 * @return how many times this instance has built it
	 */
	@PostMapping("/reports")
	Map<String, Integer> report() {
		this.reports.buildReport();
		return Map.of("runs", this.reports.runs());
	}

	/**
	 * Returns an account's balance.
	 * @param accountId the account
	 * @return the balance
	 */
	@GetMapping("/accounts/{accountId}")
	Map<String, Long> balance(@PathVariable String accountId) {
		return Map.of("balance", this.accounts.balance(accountId));
	}

}
