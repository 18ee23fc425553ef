package dev.locksmith.sim;

/**
 * A detached lease the harness acquired ({@code acquireDetached}) and has not released yet.
 *
 * @param client the client
 * @param key the engine key
 * @param leaseId the lease id
 * @param token the fencing token the engine reported
 */
public record TrackedDetached(int client, String key, String leaseId, long token) {
}
