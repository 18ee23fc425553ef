/**
 * The provider contract kit: abstract JUnit 5 tests that every {@link dev.locksmith.spi.LockProvider}
 * must pass unchanged. Published as the lock-test artifact; a provider's test extends
 * {@link dev.locksmith.tck.LockProviderContractTests} and supplies clients of a real backend.
 */
@NullMarked
package dev.locksmith.tck;

import org.jspecify.annotations.NullMarked;
