package dev.locksmith.boot.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the {@code long} (or {@code Long}) parameter of a {@link DistributedLock @DistributedLock} method
 * that receives the lease's fencing token: whatever the caller passes is replaced by the token. Pass it
 * on to storage that rejects writes carrying a token lower than one it has seen.
 *
 * <pre>{@code
 * @DistributedLock(key = "'doc:' + #id")
 * public void save(String id, Doc doc, @FencingToken long token) {
 *     store.write(id, doc, token);
 * }
 * // callers: service.save(id, doc, 0);
 * }</pre>
 *
 * Code deeper in the call reads the same token from {@link dev.locksmith.LockContext#currentToken()}.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface FencingToken {

}
