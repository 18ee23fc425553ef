/**
 * The lock engine: everything between the {@link dev.locksmith.MutexService} API and a
 * {@link dev.locksmith.spi.LockProvider} — waiting by notification, retry with backoff, the shared
 * renewal scheduler (one thread, batched renewals), local deadlines on a monotonic clock, loss
 * detection, fencing-token bookkeeping, events and statistics.
 *
 * <p>No {@code synchronized} block is held across a blocking call, so the engine is safe to use from
 * virtual threads.
 */
@NullMarked
package dev.locksmith.engine;

import org.jspecify.annotations.NullMarked;
