package dev.locksmith.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.provider.kubernetes.KubernetesLockProvider;
import dev.locksmith.provider.kubernetes.Mutex;
import dev.locksmith.provider.kubernetes.MutexSpec;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * The mutex commands straight against a Kubernetes API server ({@code --kubernetes}): a
 * {@link KubernetesLockProvider} on {@code locksmith.dev/v1} Mutex objects, so a mutex locked here is the same
 * object a Boot application with {@code locksmith.kubernetes.resource=mutex} and {@code kubectl get mutex} see.
 * The mutex name is the lock key as it is (no key prefix); a name that is a DNS-1123 label names its Mutex.
 *
 * <p>A lock without {@code --ttl} takes the Mutex's {@code spec.ttl} ({@code mutex create NAME --ttl 10m}), else
 * {@value #DEFAULT_TTL_TEXT}. Waiting for a held mutex is woken by the provider's watch when it is released
 * (and otherwise retried at the holder's expiry), never by polling. Lock ids are {@code NAME#LEASE-ID}.
 */
final class KubernetesMutexClient implements MutexClient {

	/** The TTL of a lock when neither {@code --ttl} nor the Mutex's {@code spec.ttl} names one. */
	static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

	static final String DEFAULT_TTL_TEXT = "10 minutes";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Pattern KUBERNETES_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

	private static final Pattern WHOLE_DURATION = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+");

	private final KubernetesClient client;

	private final KubernetesLockProvider provider;

	KubernetesMutexClient(KubernetesClient client, @Nullable String namespace) {
		this.client = client;
		KubernetesLockProvider.Builder builder = KubernetesLockProvider.builder(client)
			.resource(KubernetesLockProvider.ObjectKind.MUTEX)
			.closeClient(true);
		if (namespace != null) {
			builder.namespace(namespace);
		}
		this.provider = builder.build();
	}

	@Override
	public Reply create(String service, String who, @Nullable String ttl, Duration wait) {
		Duration lease = (ttl != null) ? Duration.parse(ttl) : defaultTtl(service);
		String leaseId = UUID.randomUUID().toString();
		LeaseRequest request = new LeaseRequest(service, LeaseType.WRITE, leaseId, who, lease, 1, 1, Map.of());
		long deadline = System.nanoTime() + wait.toNanos();
		return call(() -> {
			// after the timeout, a denial whose holder is gone by the time it is read is tried again, a few times
			int lateTries = 0;
			while (true) {
				try (ReleaseSubscription released = this.provider.subscribe(service)) {
					Grant grant = this.provider.acquire(request);
					if (grant.isGranted()) {
						LockInfo info = this.provider.inspect(service);
						return new Reply(200, json(service, lease(info, leaseId)), false);
					}
					long left = deadline - System.nanoTime();
					LeaseInfo holder = first(this.provider.inspect(service));
					if (left <= 0 && (holder != null || ++lateTries > 3)) {
						ObjectNode body = JSON.createObjectNode();
						body.set("existingLock", (holder != null) ? json(service, holder) : JSON.createObjectNode());
						return new Reply(409, body, false);
					}
					Duration retry = (grant.retryAfter() != null) ? grant.retryAfter() : Duration.ofSeconds(1);
					released.await(Math.max(1, Math.min(Math.max(left, 0), retry.toNanos())));
				}
			}
		});
	}

	@Override
	public Reply extend(String id, @Nullable String ttl) {
		LeaseRef ref = ref(id);
		if (ref == null) {
			return notHeld(id);
		}
		Duration lease = (ttl != null) ? Duration.parse(ttl) : defaultTtl(ref.key());
		return call(() -> {
			if (!this.provider.extend(ref, lease)) {
				return notHeld(id);
			}
			LeaseInfo info = lease(this.provider.inspect(ref.key()), ref.leaseId());
			return (info != null) ? new Reply(200, json(ref.key(), info), false) : notHeld(id);
		});
	}

	@Override
	public Reply release(String id) {
		LeaseRef ref = ref(id);
		if (ref == null) {
			return notHeld(id);
		}
		return call(() -> this.provider.release(ref) ? new Reply(200, JSON.createObjectNode(), false) : notHeld(id));
	}

	@Override
	public List<JsonNode> list() {
		return call(() -> {
			List<JsonNode> all = new ArrayList<>();
			Set<String> locked = new HashSet<>();
			for (LockInfo info : this.provider.list("", 0, Integer.MAX_VALUE).locks()) {
				for (LeaseInfo lease : info.leases()) {
					all.add(json(info.key(), lease));
				}
				locked.add(info.key());
			}
			for (Mutex mutex : mutexes().list().getItems()) {
				Map<String, String> annotations = mutex.getMetadata().getAnnotations();
				String key = (annotations != null && annotations.containsKey(KubernetesLockProvider.KEY_ANNOTATION))
						? annotations.get(KubernetesLockProvider.KEY_ANNOTATION) : mutex.getMetadata().getName();
				if (locked.add(key)) {
					ObjectNode unlocked = JSON.createObjectNode();
					unlocked.put("service", key);
					unlocked.put("phase", Mutex.UNLOCKED);
					all.add(unlocked);
				}
			}
			all.sort((a, b) -> a.path("service").asString().compareTo(b.path("service").asString()));
			return all;
		});
	}

	@Override
	public Optional<JsonNode> find(String service) {
		return call(() -> Optional.ofNullable(first(this.provider.inspect(service)))
			.map((lease) -> json(service, lease)));
	}

	@Override
	public Reply createMutex(String name, Duration ttl) {
		if (name.length() > 63 || !name.equals(this.provider.objectName(name))) {
			throw new CliException(2, "mutex create: '" + name + "' cannot name a Mutex object: use a DNS-1123 "
					+ "label, 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit, "
					+ "not starting with 'locksmith-'");
		}
		Mutex mutex = new Mutex();
		ObjectMeta meta = new ObjectMeta();
		meta.setName(name);
		meta.setNamespace(this.provider.namespace());
		mutex.setMetadata(meta);
		MutexSpec spec = new MutexSpec();
		spec.setTtl(format(ttl));
		mutex.setSpec(spec);
		return call(() -> {
			try {
				mutexes().resource(mutex).create();
				return new Reply(201, JSON.createObjectNode(), false);
			}
			catch (KubernetesClientException ex) {
				if (ex.getCode() == 409) {
					return new Reply(409, JSON.createObjectNode().put("error", "mutex/" + name + " already exists"),
							false);
				}
				throw ex;
			}
		});
	}

	/** The namespace the mutexes live in. */
	String namespace() {
		return this.provider.namespace();
	}

	@Override
	public void close() {
		this.provider.close();
	}

	/** The Mutex's {@code spec.ttl}, else {@link #DEFAULT_TTL}. */
	private Duration defaultTtl(String key) {
		Mutex mutex = call(() -> mutexes().withName(this.provider.objectName(key)).get());
		String ttl = (mutex != null && mutex.getSpec() != null) ? mutex.getSpec().getTtl() : null;
		if (ttl == null || ttl.isBlank()) {
			return DEFAULT_TTL;
		}
		Duration parsed = parse(ttl);
		if (parsed == null) {
			throw new CliException(2, "mutex/" + key + " has spec.ttl '" + ttl + "', which is not a duration such as "
					+ "10m, 30s or 1h30m; give --ttl");
		}
		return parsed;
	}

	/**
	 * Parses a Kubernetes (Go) duration such as {@code 10m}, {@code 1h30m}, {@code 500ms}, {@code 1.5h}.
	 * @return the duration, or null if the text is not one
	 */
	static @Nullable Duration parse(String text) {
		if (!WHOLE_DURATION.matcher(text).matches()) {
			return null;
		}
		Matcher part = KUBERNETES_DURATION.matcher(text);
		long nanos = 0;
		while (part.find()) {
			long unit = switch (part.group(2)) {
				case "ms" -> 1_000_000L;
				case "s" -> 1_000_000_000L;
				case "m" -> 60_000_000_000L;
				default -> 3_600_000_000_000L;
			};
			nanos += (long) (Double.parseDouble(part.group(1)) * unit);
		}
		return (nanos > 0) ? Duration.ofNanos(nanos) : null;
	}

	/** Formats a duration as Kubernetes does ({@code 1h30m}, {@code 10m}, {@code 45s}, {@code 1s500ms}). */
	static String format(Duration duration) {
		StringBuilder text = new StringBuilder();
		long hours = duration.toHours();
		int minutes = duration.toMinutesPart();
		int seconds = duration.toSecondsPart();
		int millis = duration.toMillisPart();
		if (hours > 0) {
			text.append(hours).append('h');
		}
		if (minutes > 0) {
			text.append(minutes).append('m');
		}
		if (seconds > 0) {
			text.append(seconds).append('s');
		}
		if (millis > 0 || text.isEmpty()) {
			text.append(millis).append("ms");
		}
		return text.toString();
	}

	private NonNamespaceOperation<Mutex, KubernetesResourceList<Mutex>, Resource<Mutex>> mutexes() {
		return this.client.resources(Mutex.class).inNamespace(this.provider.namespace());
	}

	private static @Nullable LeaseRef ref(String id) {
		int hash = id.lastIndexOf('#');
		return (hash > 0 && hash < id.length() - 1)
				? new LeaseRef(id.substring(0, hash), LeaseType.WRITE, id.substring(hash + 1)) : null;
	}

	private static @Nullable LeaseInfo first(LockInfo info) {
		return info.leases().isEmpty() ? null : info.leases().get(0);
	}

	private static @Nullable LeaseInfo lease(LockInfo info, String leaseId) {
		return info.leases().stream().filter((lease) -> lease.leaseId().equals(leaseId)).findFirst().orElse(null);
	}

	private static ObjectNode json(String key, @Nullable LeaseInfo lease) {
		ObjectNode node = JSON.createObjectNode();
		node.put("service", key);
		if (lease != null) {
			node.put("id", key + "#" + lease.leaseId());
			node.put("who", lease.owner());
			node.put("phase", Mutex.LOCKED);
			node.put("createdAt", lease.lockedAt().toString());
			node.put("expiresAt", lease.expiresAt().toString());
			node.put("fencingToken", lease.fencingToken());
		}
		return node;
	}

	private static Reply notHeld(String id) {
		return new Reply(404, JSON.createObjectNode().put("error", "lock " + id + " is not held"), false);
	}

	/** Runs a call, turning the provider's and the client's failures into the CLI's exit codes. */
	private static <T> T call(Call<T> call) {
		try {
			return call.run();
		}
		catch (IllegalArgumentException ex) {
			throw new CliException(2, ex.getMessage());
		}
		catch (LockProviderUnavailableException | KubernetesClientException | IllegalStateException ex) {
			throw new CliException(3, "Kubernetes API server: " + ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new CliException(3, "interrupted");
		}
	}

	/** A call to the API server. */
	@FunctionalInterface
	private interface Call<T> {

		T run() throws InterruptedException;

	}

}
