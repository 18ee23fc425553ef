package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code list} pages on both Redis providers while keys are released during a walk: pages that reuse an
 * earlier scan must stay disjoint and in key order, so a walker that advances its offset by what it got
 * sees every key that stayed held exactly once.
 */
class RedisListingPagesTests extends AbstractBothRedisProvidersTests {

	@Test
	void aKeyReleasedDuringAWalkDoesNotMakeTheNextPagesOverlap() {
		for (LockProvider provider : List.of(single, redlock)) {
			String prefix = "walk:" + UUID.randomUUID() + ":";
			List<LeaseRequest> held = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				LeaseRequest request = new LeaseRequest(prefix + i, LeaseType.WRITE, UUID.randomUUID().toString(),
						"owner", Duration.ofSeconds(30), 1, 1, Map.of());
				assertThat(provider.acquire(request).isGranted()).isTrue();
				held.add(request);
			}
			List<String> seen = new ArrayList<>();
			List<String> first = keys(provider.list(prefix, 0, 2).locks());
			seen.addAll(first);
			// Released after the first page, before the walk reaches it.
			assertThat(provider.release(held.get(2).ref())).isTrue();
			int offset = first.size();
			while (true) {
				List<String> page = keys(provider.list(prefix, offset, 2).locks());
				if (page.isEmpty()) {
					break;
				}
				seen.addAll(page);
				offset += page.size();
			}
			assertThat(seen).as(provider.name() + ": every key that stayed held, once, in key order")
				.containsExactly(prefix + 0, prefix + 1, prefix + 3, prefix + 4, prefix + 5);
			held.forEach((request) -> provider.release(request.ref()));
		}
	}

	@Test
	void pagesOfOneScanAreDisjoint() {
		for (LockProvider provider : List.of(single, redlock)) {
			String prefix = "pages:" + UUID.randomUUID() + ":";
			List<LeaseRequest> held = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				LeaseRequest request = new LeaseRequest(prefix + i, LeaseType.WRITE, UUID.randomUUID().toString(),
						"owner", Duration.ofSeconds(30), 1, 1, Map.of());
				assertThat(provider.acquire(request).isGranted()).isTrue();
				held.add(request);
			}
			provider.list(prefix, 0, 2);
			provider.release(held.get(2).ref());
			List<String> second = keys(provider.list(prefix, 2, 2).locks());
			List<String> third = keys(provider.list(prefix, 4, 2).locks());
			assertThat(second).as(provider.name()).doesNotContainAnyElementsOf(third);
			held.forEach((request) -> provider.release(request.ref()));
		}
	}

	@Test
	void keysOfTheApplicationThatLookLikeLeaseHashesAreNotListedAndDoNotBreakTheListing() {
		String tag = UUID.randomUUID().toString();
		try (RedisConnection connection = factory.getConnection()) {
			connection.stringCommands().set(("{" + tag + ":session}").getBytes(), "x".getBytes());
			connection.hashCommands().hSet(("{" + tag + ":hash}").getBytes(), "f".getBytes(), "12|not a lease".getBytes());
			connection.hashCommands().hSet(("{" + tag + ":text}").getBytes(), "f".getBytes(), "hello".getBytes());
		}
		LeaseRequest request = new LeaseRequest(tag + ":lock", LeaseType.WRITE, UUID.randomUUID().toString(), "owner",
				Duration.ofSeconds(30), 1, 1, Map.of());
		for (LockProvider provider : List.of(single, redlock)) {
			assertThat(provider.acquire(request).isGranted()).isTrue();
			assertThat(keys(provider.list(tag, 0, 100).locks())).as(provider.name()).containsExactly(tag + ":lock");
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	private static List<String> keys(List<LockInfo> locks) {
		return locks.stream().map(LockInfo::key).toList();
	}

}
