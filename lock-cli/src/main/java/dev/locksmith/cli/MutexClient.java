package dev.locksmith.cli;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Where the mutex commands lock: the lock service ({@link LockServiceClient}, the default) or the Kubernetes API
 * server directly ({@link KubernetesMutexClient}, {@code --kubernetes}). Both answer in the lock service's terms
 * (its status codes and JSON: {@code id}, {@code service}, {@code who}, {@code createdAt}, {@code expiresAt},
 * {@code fencingToken}), so every command works the same on either.
 */
interface MutexClient extends AutoCloseable {

	/** Creates a lock, waiting up to {@code wait}: 200 and the lock, or 409 and the {@code existingLock}. */
	Reply create(String service, String who, @Nullable String ttl, Duration wait);

	/** Sets a held lock to expire {@code ttl} (null: the default TTL) from now: 200, or 404 if not held. */
	Reply extend(String id, @Nullable String ttl);

	/** Releases a lock by id: 200, or 404 if not held. */
	Reply release(String id);

	/** Returns every held lock (and, where the backend has them, unlocked mutexes with phase Unlocked). */
	List<JsonNode> list();

	/** Returns the held lock of a mutex, if any. */
	Optional<JsonNode> find(String service);

	/**
	 * Creates a mutex object with a default TTL ({@code mutex create}; only Kubernetes has mutex objects).
	 * @param name the mutex
	 * @param ttl its default TTL
	 * @return 201 when created, 409 when it exists
	 */
	Reply createMutex(String name, Duration ttl);

	@Override
	default void close() {
	}

	/** A response: status code, JSON body, and whether the server asked to retry later (503 with Retry-After). */
	record Reply(int status, JsonNode body, boolean retryLater) {

		String error() {
			return this.body.path("error").asString("HTTP " + this.status);
		}

	}

}
