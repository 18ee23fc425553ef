package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Kubernetes-specific behaviour against the CRUD mock API server: object names and contents, limits checked
 * before any request, the documented effect of deleting an object by hand, and requests per operation.
 */
class KubernetesLockProviderTests {

	private static final Pattern DNS_1123_SUBDOMAIN = Pattern
		.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

	private static MockApiServer server;

	private static KubernetesClient client;

	private KubernetesLockProvider provider;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		client = server.client();
	}

	@AfterAll
	static void stop() {
		client.close();
		server.close();
	}

	@BeforeEach
	void createProvider() {
		this.provider = KubernetesLockProvider.builder(client).build();
	}

	@AfterEach
	void closeProvider() {
		this.provider.close();
	}

	@Test
	void objectNamesAreValidAndTheObjectIsReadableByKubernetesTools() {
		String key = "Orders:42/\u00fc " + "x".repeat(1000);
		String name = this.provider.objectName(key);
		assertThat(name).matches(DNS_1123_SUBDOMAIN).hasSizeLessThanOrEqualTo(253).startsWith("locksmith-orders-42");
		assertThat(this.provider.objectName("orders:42")).isNotEqualTo(this.provider.objectName("Orders:42"));

		Grant grant = this.provider.acquire(write(key, "lease-1", "pod-a"));
		assertThat(grant.isGranted()).isTrue();
		Lease lease = client.leases().withName(name).get();
		assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("pod-a");
		assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(30);
		assertThat(lease.getSpec().getLeaseTransitions()).isEqualTo(1);
		assertThat(lease.getMetadata().getAnnotations()).containsEntry(KubernetesLockProvider.KEY_ANNOTATION, key)
			.containsEntry(KubernetesLockProvider.TOKEN_ANNOTATION, Long.toString(grant.fencingToken()));
		assertThat(lease.getMetadata().getLabels()).containsEntry(KubernetesLockProvider.MANAGED_BY_LABEL,
				KubernetesLockProvider.MANAGED_BY);
	}

	@Test
	void badInputIsRejectedBeforeAnyRequest() {
		int before = server.requestCount();
		assertThatIllegalArgumentException().isThrownBy(() -> this.provider.acquire(write("k".repeat(1025), "l", "o")))
			.withMessageContaining("acquire")
			.withMessageContaining("1024")
			.withMessageContaining("(1025 chars)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.provider.acquire(new LeaseRequest("k", LeaseType.WRITE, "l", "o",
					Duration.ofDays(366), 1, 1, Map.of())))
			.withMessageContaining("365 days");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.provider.acquire(new LeaseRequest("k", LeaseType.WRITE, "l", "o",
					Duration.ofSeconds(30), 1, 1, Map.of("big", "v".repeat(3000)))))
			.withMessageContaining("metadata")
			.withMessageContaining("2048");
		assertThatIllegalArgumentException().isThrownBy(() -> this.provider.inspect(""))
			.withMessageContaining("inspect");
		assertThat(server.requestCount()).isEqualTo(before);
	}

	/**
	 * The API server refuses an object whose annotations exceed 256 KiB in UTF-8 bytes (the mock does not):
	 * 64 permit holders with metadata under 2,048 characters but over 2,048 bytes, and owner ids of control
	 * characters (6 bytes each in JSON), must be refused up front, never written.
	 */
	@Test
	void annotationsStayUnderTheApiServersLimitInBytesWithMultiByteMetadata() {
		String key = "multi-byte";
		String owner = "\u0001".repeat(KubernetesLockProvider.MAX_OWNER_CHARS);
		// 2,000 characters, 6,000 bytes: was accepted, and 64 of them made a 491,002-byte object
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.provider.acquire(new LeaseRequest(key, LeaseType.PERMITS, "p", owner,
					Duration.ofSeconds(30), 1, 64, Map.of("m", "\u4e2d".repeat(2000)))))
			.withMessageContaining("metadata")
			.withMessageContaining("bytes");
		// {"m":"..."} with 680 three-byte characters is exactly the limit: all 64 fit under 256 KiB
		Map<String, String> largest = Map.of("m", "\u4e2d".repeat(680));
		for (int i = 0; i < KubernetesLockProvider.MAX_LEASES_PER_KEY; i++) {
			assertThat(this.provider.acquire(new LeaseRequest(key, LeaseType.PERMITS, "p" + i, owner,
					Duration.ofSeconds(30), 1, KubernetesLockProvider.MAX_LEASES_PER_KEY, largest)).isGranted())
				.isTrue();
		}
		long bytes = 0;
		for (Map.Entry<String, String> annotation : client.leases().withName(this.provider.objectName(key)).get()
			.getMetadata().getAnnotations().entrySet()) {
			bytes += annotation.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
					+ annotation.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
		}
		assertThat(bytes).isLessThanOrEqualTo(256 * 1024);
	}

	@Test
	void deletingTheObjectByHandRestartsTheTokenCounter() {
		String key = "deleted-by-hand";
		assertThat(this.provider.acquire(write(key, "a", "o")).fencingToken()).isEqualTo(1);
		this.provider.forceRelease(key);
		assertThat(this.provider.acquire(write(key, "b", "o")).fencingToken()).isEqualTo(2);
		this.provider.forceRelease(key);
		client.leases().withName(this.provider.objectName(key)).delete();
		// documented: the counter lives on the object, so a hand-deleted object starts again at 1
		assertThat(this.provider.acquire(write(key, "c", "o")).fencingToken()).isEqualTo(1);
	}

	@Test
	void aForeignLeaseWithTheSameNameIsNeverTakenOver() {
		String key = "foreign";
		String name = this.provider.objectName(key);
		// for example a client-go leader-election Lease that happens to carry this name
		client.leases().resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
			.withName(name).endMetadata().withNewSpec().withHolderIdentity("leader-pod").withLeaseDurationSeconds(15)
			.endSpec().build()).create();
		assertThatIllegalStateException().isThrownBy(() -> this.provider.acquire(write(key, "a", "o")))
			.withMessageContaining(name)
			.withMessageContaining("not created by Locksmith");
		assertThat(client.leases().withName(name).get().getSpec().getHolderIdentity()).isEqualTo("leader-pod");
	}

	@Test
	void requestsPerOperation() {
		String key = "counted";
		int start = server.requestCount();
		this.provider.acquire(write(key, "a", "o"));
		int acquire = server.requestCount() - start;
		start = server.requestCount();
		Grant denied = this.provider.acquire(write(key, "b", "o"));
		int deniedRequests = server.requestCount() - start;
		start = server.requestCount();
		this.provider.extend(write(key, "a", "o").ref(), Duration.ofSeconds(10));
		int extend = server.requestCount() - start;
		start = server.requestCount();
		this.provider.release(write(key, "a", "o").ref());
		int release = server.requestCount() - start;
		assertThat(denied.isGranted()).isFalse();
		assertThat(denied.retryAfter()).isPositive();
		assertThat(new int[] { acquire, deniedRequests, extend, release }).containsExactly(2, 1, 2, 2);
	}

	@Test
	void aRenewalTickCostsTwoRequestsPerKeyHoweverManyOfItsLeasesAreDue() {
		String key = "renewed";
		List<Renewal> due = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			LeaseRequest read = new LeaseRequest(key, LeaseType.READ, "r" + i, "o", Duration.ofSeconds(30), 1, 1,
					Map.of());
			assertThat(this.provider.acquire(read).isGranted()).isTrue();
			due.add(new Renewal(read.ref(), Duration.ofSeconds(60)));
		}
		due.add(new Renewal(write("other-key", "gone", "o").ref(), Duration.ofSeconds(60)));
		int start = server.requestCount();
		Set<LeaseRef> extended = this.provider.renew(due);
		assertThat(server.requestCount() - start).as("GET + PUT for the key, one GET for the other key").isEqualTo(3);
		assertThat(extended).hasSize(5).doesNotContain(write("other-key", "gone", "o").ref());
		assertThat(this.provider.inspect(key).leases())
			.allSatisfy((lease) -> assertThat(lease.expiresAt()).isAfter(java.time.Instant.now().plusSeconds(45)));
	}

	private static LeaseRequest write(String key, String leaseId, String owner) {
		return new LeaseRequest(key, LeaseType.WRITE, leaseId, owner, Duration.ofSeconds(30), 1, 1, Map.of());
	}

}
