package dev.locksmith.server;

import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * Two instances on one in-process backend (one {@link MemoryLockProvider} shared by both engines).
 */
class TwoInstancesSharedMemoryTests extends AbstractTwoInstancesTests {

	private final MemoryLockProvider shared = new MemoryLockProvider();

	@Override
	LockProvider backendClient() {
		return this.shared;
	}

}
