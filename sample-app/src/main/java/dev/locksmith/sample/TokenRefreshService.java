package dev.locksmith.sample;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Service;

import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;

/**
 * Refreshes a user's access token, one refresh per user at a time across every instance. The store
 * rejects a write that carries an older fencing token than one it has seen, so a holder that lost its
 * lease cannot overwrite a newer token.
 */
@Service
public class TokenRefreshService {

	private final Map<String, AccessToken> store = new ConcurrentHashMap<>();

	/**
	 * Issues a new token for {@code userId}.
	 * @param userId the user
	 * @param fencingToken replaced by the lock's fencing token (callers pass 0)
	 * @return the new token
	 */
	@DistributedLock(key = "'token:' + #userId", name = "token-refresh", waitTime = "2s")
	public AccessToken refresh(String userId, @FencingToken long fencingToken) {
		AccessToken token = new AccessToken(userId, UUID.randomUUID().toString(), Instant.now(), fencingToken);
		this.store.merge(userId, token, (current, next) -> {
			if (next.fencingToken() <= current.fencingToken()) {
				throw new IllegalStateException("Stale write for " + userId + ": fencing token " + next.fencingToken()
						+ " is not newer than " + current.fencingToken());
			}
			return next;
		});
		return token;
	}

	/**
	 * An issued access token.
	 *
	 * @param userId the user
	 * @param value the token value
	 * @param issuedAt when it was issued
	 * @param fencingToken the fencing token of the lock it was issued under
	 */
	public record AccessToken(String userId, String value, Instant issuedAt, long fencingToken) {
	}

}
