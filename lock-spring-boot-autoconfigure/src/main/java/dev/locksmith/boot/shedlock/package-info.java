/**
 * ShedLock on Locksmith: {@link dev.locksmith.boot.shedlock.LocksmithShedLockProvider} implements
 * ShedLock's {@code LockProvider} (and {@code ExtensibleLockProvider}) on a {@link dev.locksmith.MutexService},
 * so {@code @SchedulerLock} runs unchanged on every Locksmith backend. Used only when ShedLock is on the
 * class path.
 */
@NullMarked
package dev.locksmith.boot.shedlock;

import org.jspecify.annotations.NullMarked;
