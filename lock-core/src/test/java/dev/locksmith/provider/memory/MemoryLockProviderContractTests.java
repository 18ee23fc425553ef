package dev.locksmith.provider.memory;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;

/**
 * The in-memory provider passes the contract kit. Both services share one provider, as two threads
 * of one JVM would.
 */
class MemoryLockProviderContractTests extends LockProviderContractTests {

	private final MemoryLockProvider provider = new MemoryLockProvider();

	@Override
	protected LockProvider newProvider() {
		return this.provider;
	}

}
