/**
 * Building blocks for providers, not part of the SPI a provider implements: {@link
 * dev.locksmith.provider.support.ReleaseSignals} wakes in-process waiters when a release is seen.
 */
@NullMarked
package dev.locksmith.provider.support;

import org.jspecify.annotations.NullMarked;
