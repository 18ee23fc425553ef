package dev.locksmith.engine;

import dev.locksmith.LockHandle;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lease id of a read nested in a read the same thread holds ({@code <outer lease id>:<n>}), by which a
 * provider that holds new readers back while a writer waits lets the nested read in.
 */
class NestedReadLeaseIdTests {

	@Test
	void aNestedReadExtendsTheOuterReadsIdAndAChainStaysWithinTheJdbcLimit() {
		try (LockEngine locks = Locksmith.builder(new MemoryLockProvider()).build()) {
			LockHandle outer = locks.readWrite("k").read();
			LockHandle nested = locks.readWrite("k").read();
			assertThat(nested.leaseId()).startsWith(outer.leaseId() + ":");
			LockHandle other = locks.readWrite("other").read();
			assertThat(other.leaseId()).doesNotContain(outer.leaseId());
			other.close();
			outer.close();
			// each nested read outlives the read it was nested in
			for (int i = 0; i < 100; i++) {
				LockHandle next = locks.readWrite("k").read();
				assertThat(next.leaseId()).hasSizeLessThanOrEqualTo(128);
				nested.close();
				nested = next;
			}
			nested.close();
			LockHandle again = locks.readWrite("k").read();
			assertThat(again.leaseId()).as("nothing held on this thread: a fresh id").doesNotContain(nested.leaseId());
			again.close();
		}
	}

}
