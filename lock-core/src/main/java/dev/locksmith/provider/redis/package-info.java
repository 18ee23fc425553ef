/**
 * Redis providers on Spring Data Redis: {@link dev.locksmith.provider.redis.RedisLockProvider} for one
 * server (with optional replica confirmation) and {@link dev.locksmith.provider.redis.RedlockLockProvider}
 * for independent masters. Spring Data Redis and Lettuce are optional dependencies of lock-core; add them
 * to use these classes.
 */
@NullMarked
package dev.locksmith.provider.redis;

import org.jspecify.annotations.NullMarked;
