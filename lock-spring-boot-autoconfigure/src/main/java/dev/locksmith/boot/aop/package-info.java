/**
 * The advice behind {@link dev.locksmith.boot.annotation.DistributedLock @DistributedLock}: annotation
 * metadata resolved and cached per method and target class ({@link dev.locksmith.boot.aop.LockOperationSource}),
 * SpEL keys parsed once, and one around advice ({@link dev.locksmith.boot.aop.DistributedLockInterceptor})
 * that handles synchronous, {@code CompletionStage} and reactive results.
 */
@NullMarked
package dev.locksmith.boot.aop;

import org.jspecify.annotations.NullMarked;
