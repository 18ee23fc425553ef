/**
 * Spring Boot auto-configuration for Locksmith: the {@link dev.locksmith.MutexService} bean on the provider
 * chosen by {@code locksmith.provider}, the {@code @DistributedLock} advice, Micrometer meters, the
 * {@code locks} actuator endpoint and the health indicator. Every bean backs off when the application
 * defines its own.
 */
@NullMarked
package dev.locksmith.boot.autoconfigure;

import org.jspecify.annotations.NullMarked;
