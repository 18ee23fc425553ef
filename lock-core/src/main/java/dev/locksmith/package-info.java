/**
 * Locksmith's lock API: leases on keys with a TTL, renewed while held, reported when lost, carrying
 * strictly increasing fencing tokens.
 *
 * <p>Start at {@link dev.locksmith.MutexService}, built with {@link dev.locksmith.Locksmith#builder}
 * (or injected by the Spring Boot starter):
 *
 * <pre>{@code
 * MutexService locks = Locksmith.builder(new MemoryLockProvider()).build();
 * String token = locks.withLock("user:42", () -> refresh("42"));
 * try (LockHandle lock = locks.acquire("job:7", LockOptions.ttl(Duration.ofMinutes(5)))) {
 *     storage.write(lock.fencingToken(), data);
 * }
 * }</pre>
 *
 * <p>Failures are typed: {@link dev.locksmith.LockNotAcquiredException} (held by someone else),
 * {@link dev.locksmith.LockLostException} (lost while held), {@link dev.locksmith.LockNotHeldException}
 * (acting on a lease that is not held), {@link dev.locksmith.LockProviderUnavailableException}
 * (backend unreachable) and {@link IllegalArgumentException} for bad input.
 */
@NullMarked
package dev.locksmith;

import org.jspecify.annotations.NullMarked;
