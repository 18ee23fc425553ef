/**
 * Actuator support: the {@code locks} endpoint ({@link dev.locksmith.boot.actuate.LocksEndpoint}, with
 * force-release in {@link dev.locksmith.boot.actuate.ForceReleaseLocksEndpoint}) and the provider's
 * health indicator.
 */
@NullMarked
package dev.locksmith.boot.actuate;

import org.jspecify.annotations.NullMarked;
