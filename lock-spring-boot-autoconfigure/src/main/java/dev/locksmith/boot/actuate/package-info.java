/**
 * Actuator support: the {@code locks} endpoint ({@link dev.locksmith.boot.actuate.LocksEndpoint}; its
 * force-release needs {@code management.endpoint.locks.access=unrestricted}) and the provider's health
 * indicator.
 */
@NullMarked
package dev.locksmith.boot.actuate;

import org.jspecify.annotations.NullMarked;
