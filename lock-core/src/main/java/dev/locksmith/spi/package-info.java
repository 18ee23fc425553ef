/**
 * The provider SPI: the few operations a lock backend must offer. The engine
 * ({@link dev.locksmith.engine.LockEngine}) does everything else — waiting, retry, renewal, fencing
 * bookkeeping, loss detection, events — on top of a {@link dev.locksmith.spi.LockProvider}.
 *
 * <p>A provider is correct when it passes the contract kit published as the lock-test artifact
 * ({@code dev.locksmith.tck.LockProviderContractTests}).
 */
@NullMarked
package dev.locksmith.spi;

import org.jspecify.annotations.NullMarked;
