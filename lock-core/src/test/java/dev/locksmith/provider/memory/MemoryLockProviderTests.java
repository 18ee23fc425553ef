package dev.locksmith.provider.memory;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-memory provider at the SPI level, with a manual clock: leases expire when the clock says so,
 * without sleeping.
 */
class MemoryLockProviderTests {

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider provider = new MemoryLockProvider(this.clock);

	private static LeaseRequest request(String leaseId, LeaseType type, int permits, int limit) {
		return new LeaseRequest("k", type, leaseId, "owner", Duration.ofSeconds(10), permits, limit, Map.of());
	}

	@Test
	void aLeaseExpiresWhenTheClockPassesItsTtl() {
		Grant first = this.provider.acquire(request("one", LeaseType.WRITE, 1, 1));
		assertThat(first.isGranted()).isTrue();
		this.clock.advance(Duration.ofSeconds(4));
		Grant denied = this.provider.acquire(request("two", LeaseType.WRITE, 1, 1));
		assertThat(denied.isGranted()).isFalse();
		assertThat(denied.retryAfter()).isEqualTo(Duration.ofSeconds(6));
		this.clock.advance(Duration.ofSeconds(6));
		assertThat(this.provider.inspect("k").isLocked()).isFalse();
		Grant second = this.provider.acquire(request("two", LeaseType.WRITE, 1, 1));
		assertThat(second.isGranted()).isTrue();
		assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
		assertThat(this.provider.release(new LeaseRef("k", LeaseType.WRITE, "one"))).isFalse();
		assertThat(this.provider.extend(new LeaseRef("k", LeaseType.WRITE, "one"), Duration.ofSeconds(5))).isFalse();
	}

	@Test
	void extendSetsExpiryFromNow() {
		this.provider.acquire(request("one", LeaseType.WRITE, 1, 1));
		this.clock.advance(Duration.ofSeconds(9));
		assertThat(this.provider.extend(new LeaseRef("k", LeaseType.WRITE, "one"), Duration.ofSeconds(10))).isTrue();
		this.clock.advance(Duration.ofSeconds(9));
		LockInfo info = this.provider.inspect("k");
		assertThat(info.isLocked()).isTrue();
		assertThat(info.expiresAt()).isEqualTo(this.clock.now().plusSeconds(1));
	}

	@Test
	void permitsAreCountedAcrossLeasesAndReturnOnExpiry() {
		assertThat(this.provider.acquire(request("a", LeaseType.PERMITS, 2, 3)).isGranted()).isTrue();
		this.clock.advance(Duration.ofSeconds(5));
		assertThat(this.provider.acquire(request("b", LeaseType.PERMITS, 1, 3)).isGranted()).isTrue();
		Grant full = this.provider.acquire(request("c", LeaseType.PERMITS, 1, 3));
		assertThat(full.isGranted()).isFalse();
		assertThat(full.retryAfter()).as("the earliest permit frees first").isEqualTo(Duration.ofSeconds(5));
		this.clock.advance(Duration.ofSeconds(5));
		assertThat(this.provider.acquire(request("c", LeaseType.PERMITS, 2, 3)).isGranted()).isTrue();
		assertThat(this.provider.acquire(request("d", LeaseType.WRITE, 1, 1)).isGranted()).isFalse();
	}

	@Test
	void expiredLeasesOfKeysNobodyTouchesAgainArePurged() {
		for (int i = 0; i < 10_000; i++) {
			LeaseRequest request = new LeaseRequest("key-" + i, LeaseType.WRITE, "lease-" + i, "owner",
					Duration.ofSeconds(1), 1, 1, Map.of());
			assertThat(this.provider.acquire(request).isGranted()).isTrue();
		}
		this.clock.advance(Duration.ofMinutes(5));
		// other keys keep being used; the 10,000 expired ones are never touched again
		for (int i = 0; i < 10; i++) {
			this.provider.acquire(new LeaseRequest("busy", LeaseType.WRITE, "busy-" + i, "owner",
					Duration.ofSeconds(1), 1, 1, Map.of()));
			this.clock.advance(Duration.ofSeconds(2));
		}
		assertThat(this.provider.storedKeyCount()).as("only the busy key is kept").isLessThanOrEqualTo(1);
	}

	@Test
	void aResentAcquireRefreshesTheExpiryAndKeepsTheToken() {
		LeaseRequest first = request("one", LeaseType.WRITE, 1, 1);
		long token = this.provider.acquire(first).fencingToken();
		this.clock.advance(Duration.ofSeconds(8));
		Grant again = this.provider.acquire(first);
		assertThat(again.isGranted()).isTrue();
		assertThat(again.fencingToken()).isEqualTo(token);
		assertThat(this.provider.inspect("k").expiresAt()).isEqualTo(this.clock.now().plusSeconds(10));
	}

}
