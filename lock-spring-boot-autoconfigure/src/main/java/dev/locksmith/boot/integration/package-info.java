/**
 * Spring Integration on Locksmith: {@link dev.locksmith.boot.integration.LocksmithLockRegistry} implements
 * Spring Integration's {@code LockRegistry} (renewable and expirable, with {@code DistributedLock}s) on a
 * {@link dev.locksmith.MutexService}, so aggregators, idempotent receivers and
 * {@code LockRegistryLeaderInitiator} run on every Locksmith backend. Used only when Spring Integration is
 * on the class path.
 */
@NullMarked
package dev.locksmith.boot.integration;

import org.jspecify.annotations.NullMarked;
