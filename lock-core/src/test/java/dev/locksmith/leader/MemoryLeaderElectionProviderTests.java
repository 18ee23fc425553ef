package dev.locksmith.leader;

import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * {@link AbstractLeaderElectionProviderTests} on the in-memory provider (all candidates share the one provider instance: it is one JVM's).
 */
class MemoryLeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

	private final MemoryLockProvider provider = new MemoryLockProvider();

	@Override
	protected LockProvider newProvider() {
		return this.provider;
	}

}
