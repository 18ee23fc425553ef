/**
 * Declarative locking: {@link dev.locksmith.boot.annotation.DistributedLock @DistributedLock} on a method,
 * {@link dev.locksmith.boot.annotation.FencingToken @FencingToken} on the parameter that receives the
 * fencing token, and {@link dev.locksmith.LockContext} for code deeper in the call.
 * The Spring Boot starter applies the annotation to every bean.
 */
@NullMarked
package dev.locksmith.boot.annotation;

import org.jspecify.annotations.NullMarked;
