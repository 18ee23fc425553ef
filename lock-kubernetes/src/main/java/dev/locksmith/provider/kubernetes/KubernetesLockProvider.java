package dev.locksmith.provider.kubernetes;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.type.TypeReference;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockClock;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;

/**
 * Locks on a Kubernetes API server, one object per key: a {@code coordination.k8s.io/v1} Lease (the default) or
 * a {@code locksmith.dev/v1} {@link Mutex} ({@link Builder#resource}; its CustomResourceDefinition must be
 * installed). Both kinds behave the same; only the human-readable mirror differs.
 *
 * <p><b>Storage.</b> The object's annotations are the lock's state: {@value #KEY_ANNOTATION} (the original key,
 * since object names are derived, see {@link ObjectNames}), {@value #TOKEN_ANNOTATION} (the last fencing token
 * issued for the key) and {@value #LEASES_ANNOTATION} (the live leases as a JSON list: id, owner, type,
 * permits, token, granted and expiry times, metadata). A write lease is one entry; readers and semaphore
 * permits are several entries of the same object, so the whole key, every reader and every permit, is
 * decided in one object and changed in one write. A Lease's {@code spec} ({@code holderIdentity},
 * {@code renewTime} + {@code leaseDurationSeconds}, {@code leaseTransitions}) or a Mutex's {@code status}
 * ({@code holder}, {@code lockedAt}, {@code expiresAt}, {@code phase}, {@code fencingToken}, a {@code Ready}
 * condition) mirrors the state for Kubernetes tools, written in the same update; it is never read back.
 * Mutex objects of keys that are DNS-1123 labels are named as the key ({@code db-migration}), and a Mutex
 * created without annotations ({@code kubectl apply}, {@code locksmith mutex create}) is taken into use.
 *
 * <p><b>Atomicity.</b> Every change is a read, a decision in this JVM, and a write conditional on the
 * object's {@code resourceVersion}: a {@code create} for a key that has no object yet (409 AlreadyExists
 * means another client created it first) or an {@code update} carrying the resourceVersion that was read
 * (409 Conflict means another client wrote in between). On a conflict the provider reads again and decides
 * again, at once after a first conflict and after a short random pause that grows with further ones
 * ({@link ConflictBackoff}), at most {@value #MAX_ATTEMPTS} times. So a grant, and the token incremented with it,
 * happen only on the state they were decided on.
 * An acquire re-sent with the lease id of a live lease (its reply was lost) finds that lease and returns
 * its token with the expiry refreshed.
 *
 * <p><b>Time.</b> The API server has no lease clock: like client-go's leader election, expiry is decided
 * by the client that reads the object, against the expiry the writing client stored. Each provider stamps and
 * judges on its clock shifted to agree with the API server's {@code Date} header ({@link ApiServerClock}, sampled
 * every minute; {@link Builder#apiServerTime}), so a node whose clock is minutes or hours off still agrees with
 * the API server to within about a second plus a round trip, and with another such node to within twice that (give
 * them a clock-skew allowance that large); the shift never moves a clock further from the API server's than it was,
 * and a clock that already agrees within the {@code Date} header's second is not shifted. It trusts that header: an
 * API server (or a proxy in front of it) whose clock is wrong shifts its clients' clocks with it.
 * Closer agreement rests on NTP-synchronised nodes; a client
 * whose time runs ahead by {@code d} sees leases expire {@code d} early, while the holder's handle stays valid
 * until the TTL minus the core's drift allowance (1% + 2 ms).
 * So a lease keeps blocking other requests, and shows in {@link #inspect}, until its stored expiry plus the
 * {@linkplain Builder#clockSkewAllowance clock-skew allowance} on the reader's clock; the holder itself never
 * extends, renews or re-acquires a lease its own clock has seen expire.
 *
 * <p><b>Fencing tokens</b> strictly increase per key as long as the object exists; releases and
 * {@link #forceRelease} keep the object (and the counter). Deleting the object by hand, or replacing a Mutex
 * with one that lacks the annotations, restarts the counter at 1 and frees a held key at once for the others,
 * while its holder learns of it only at its next renewal: never delete or replace a held one.
 *
 * <p><b>Waiting.</b> One watch per provider on the objects labelled
 * {@value #MANAGED_BY_LABEL}={@value #MANAGED_BY} signals waiters when a key loses a lease.
 *
 * <p><b>Limits</b>, checked before any request: keys of 1 to {@value #MAX_KEY_CHARS} characters, owner ids
 * up to {@value #MAX_OWNER_CHARS}, metadata up to {@value #MAX_METADATA_BYTES} bytes of JSON (UTF-8) per lease,
 * a TTL of 1 ms to 365 days; and at most {@value #MAX_LEASES_PER_KEY} live leases per key (further readers
 * or permit holders are denied as if the key were full), so the annotations stay under the API server's
 * 256 KiB limit.
 */
public final class KubernetesLockProvider implements LockProvider {

	/** The label the provider puts on its objects (and watches). */
	public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

	/** The value of {@link #MANAGED_BY_LABEL}. */
	public static final String MANAGED_BY = "locksmith";

	/** The annotation with the original lock key. */
	public static final String KEY_ANNOTATION = "locksmith.dev/key";

	/** The annotation with the last fencing token issued for the key. */
	public static final String TOKEN_ANNOTATION = "locksmith.dev/fencing-token";

	/** The annotation with the leases (JSON). */
	public static final String LEASES_ANNOTATION = "locksmith.dev/leases";

	/** The longest key, in characters. */
	public static final int MAX_KEY_CHARS = 1024;

	/** The longest owner id, in characters. */
	public static final int MAX_OWNER_CHARS = 256;

	/**
	 * The most metadata per lease, in UTF-8 bytes of its JSON form. Bytes, not characters: the API server
	 * refuses annotations over 256 KiB of UTF-8, and {@link #MAX_LEASES_PER_KEY} leases with this much metadata
	 * and the longest owner id (up to 6 bytes per character once escaped in JSON) must stay under it.
	 */
	public static final int MAX_METADATA_BYTES = 2048;

	/** The most live leases (write, readers or permit holders) one key may have. */
	public static final int MAX_LEASES_PER_KEY = 64;

	/**
	 * The default {@link Builder#clockSkewAllowance clock-skew allowance}: how far ahead another client's clock
	 * may run before it could take a key its holder still considers held.
	 */
	public static final Duration DEFAULT_CLOCK_SKEW_ALLOWANCE = Duration.ofSeconds(1);

	private static final Duration MAX_TTL = Duration.ofDays(365);

	static final int MAX_ATTEMPTS = 64;

	private static final TypeReference<List<LeaseRecord>> RECORDS = new TypeReference<>() {
	};

	private final KubernetesClient client;

	private final String namespace;

	private final ObjectNames names;

	private final LockObjects<?> objects;

	private final LockClock clock;

	/** The API server's time, or null to use {@link #clock} as it is. */
	private final @Nullable ApiServerClock serverTime;

	private final long skewMillis;

	private final boolean closeClient;

	private final ReleaseSignals signals = new ReleaseSignals();

	private final KubernetesReleaseWatch watch;

	private KubernetesLockProvider(Builder builder) {
		this.client = builder.client;
		this.namespace = builder.namespace;
		this.objects = (builder.resource == ObjectKind.MUTEX) ? new MutexObjects() : new LeaseObjects();
		this.names = new ObjectNames(builder.namePrefix, builder.resource == ObjectKind.MUTEX);
		this.clock = builder.clock;
		this.serverTime = builder.apiServerTime ? new ApiServerClock(builder.client, builder.clock) : null;
		this.skewMillis = builder.clockSkewAllowance.toMillis();
		this.closeClient = builder.closeClient;
		this.watch = watch(this.objects);
	}

	/**
	 * Starts a builder.
	 * @param client the client (in-cluster or kubeconfig); its namespace is the default
	 * @return the builder
	 */
	public static Builder builder(KubernetesClient client) {
		return new Builder(client);
	}

	@Override
	public String name() {
		return "kubernetes";
	}

	/**
	 * Returns the kind of object the locks live in.
	 * @return the resource kind
	 */
	public ObjectKind resource() {
		return (this.objects instanceof MutexObjects) ? ObjectKind.MUTEX : ObjectKind.LEASE;
	}

	/**
	 * Returns the {@linkplain Builder#clockSkewAllowance clock-skew allowance}.
	 * @return the allowance
	 */
	public Duration clockSkewAllowance() {
		return Duration.ofMillis(this.skewMillis);
	}

	/**
	 * Returns the namespace the lock objects live in.
	 * @return the namespace
	 */
	public String namespace() {
		return this.namespace;
	}

	/**
	 * Returns the name of the object (Lease or Mutex) that holds a key's state.
	 * @param key the backend key
	 * @return the object name
	 */
	public String objectName(String key) {
		return this.names.of(checkKey("objectName", key));
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		validate(request);
		return mutate("acquire", request.key(), (state) -> {
			long now = nowMillis();
			// leases another client may still hold: live, or expired less than the skew allowance ago
			List<LeaseRecord> live = state.live(now - this.skewMillis);
			for (int i = 0; i < live.size(); i++) {
				LeaseRecord lease = live.get(i);
				if (lease.id().equals(request.leaseId())) {
					if (!lease.isLiveAt(now)) {
						// this very lease, expired on this clock: never resurrected, replaced by a new grant below
						live.remove(i);
						break;
					}
					// a re-sent request (its reply was lost): the existing grant, expiring from this request's TTL
					live.set(i, lease.expiringAt(now + request.ttl().toMillis()));
					return Outcome.write(state.with(live, state.token, false), Grant.granted(lease.token()));
				}
			}
			Long blockingUntil = blockingUntil(live, request);
			if (blockingUntil != null) {
				return Outcome.keep(
						Grant.denied(Duration.ofMillis(Math.max(0, blockingUntil + this.skewMillis - now))));
			}
			long token = state.token + 1;
			live.add(new LeaseRecord(request.leaseId(), request.owner(), request.type(), request.permits(), token, now,
					now + request.ttl().toMillis(), request.metadata()));
			return Outcome.write(state.with(live, token, live.size() == 1), Grant.granted(token));
		});
	}

	/** Returns the earliest expiry among the leases that block the request, or null if nothing blocks it. */
	private static @Nullable Long blockingUntil(List<LeaseRecord> live, LeaseRequest request) {
		Long until = null;
		int permitsInUse = 0;
		for (LeaseRecord lease : live) {
			boolean conflicts = switch (request.type()) {
				case WRITE -> true;
				case READ -> lease.type() != LeaseType.READ;
				case PERMITS -> lease.type() != LeaseType.PERMITS;
			};
			if (lease.type() == LeaseType.PERMITS) {
				permitsInUse += lease.permits();
			}
			if (conflicts) {
				until = (until == null) ? lease.expiresAt() : Math.min(until, lease.expiresAt());
			}
		}
		boolean full = live.size() >= MAX_LEASES_PER_KEY || (request.type() == LeaseType.PERMITS
				&& (long) permitsInUse + request.permits() > request.limit());
		if (until == null && full) {
			for (LeaseRecord lease : live) {
				until = (until == null) ? lease.expiresAt() : Math.min(until, lease.expiresAt());
			}
		}
		return until;
	}

	@Override
	public boolean release(LeaseRef lease) {
		checkKey("release", lease.key());
		boolean released = mutate("release", lease.key(), (state) -> {
			long now = nowMillis();
			boolean wasLive = false;
			boolean found = false;
			List<LeaseRecord> kept = new ArrayList<>();
			for (LeaseRecord record : state.records) {
				if (record.id().equals(lease.leaseId())) {
					found = true;
					wasLive = record.isLiveAt(now);
				}
				else if (record.isLiveAt(now - this.skewMillis)) {
					kept.add(record);
				}
			}
			return found ? Outcome.write(state.with(kept, state.token, false), wasLive) : Outcome.keep(false);
		});
		if (released) {
			this.signals.signal(lease.key());
		}
		return released;
	}

	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		checkKey("extend", lease.key());
		checkTtl("extend", lease.key(), ttl);
		return mutate("extend", lease.key(), (state) -> {
			long now = nowMillis();
			List<LeaseRecord> live = state.live(now - this.skewMillis);
			for (int i = 0; i < live.size(); i++) {
				if (live.get(i).id().equals(lease.leaseId()) && live.get(i).isLiveAt(now)) {
					live.set(i, live.get(i).expiringAt(now + ttl.toMillis()));
					return Outcome.write(state.with(live, state.token, false), true);
				}
			}
			return Outcome.keep(false);
		});
	}

	/**
	 * Lowers a live permit lease's count with one read and one conditional write; the watches of every
	 * provider see fewer permits held in the object and wake their waiters.
	 */
	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		LockProvider.checkReducePermits("KubernetesLockProvider.reducePermits", lease, permits);
		checkKey("reducePermits", lease.key());
		boolean live = mutate("reducePermits", lease.key(), (state) -> {
			long now = nowMillis();
			List<LeaseRecord> kept = state.live(now - this.skewMillis);
			for (int i = 0; i < kept.size(); i++) {
				LeaseRecord record = kept.get(i);
				if (record.id().equals(lease.leaseId()) && record.isLiveAt(now)) {
					if (record.type() != LeaseType.PERMITS || record.permits() <= permits) {
						return Outcome.keep(record.type() == LeaseType.PERMITS);
					}
					kept.set(i, record.withPermits(permits));
					return Outcome.write(state.with(kept, state.token, false), true);
				}
			}
			return Outcome.keep(false);
		});
		if (live) {
			this.signals.signal(lease.key());
		}
		return live;
	}

	/**
	 * Extends the due leases with one read and one conditional write per key (the API has no multi-object
	 * transaction, so keys cannot share a request): several leases of one key, such as a process's readers,
	 * cost the same two requests as one.
	 */
	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		Map<String, List<Renewal>> byKey = new LinkedHashMap<>();
		for (Renewal renewal : renewals) {
			checkKey("renew", renewal.lease().key());
			checkTtl("renew", renewal.lease().key(), renewal.ttl());
			byKey.computeIfAbsent(renewal.lease().key(), (k) -> new ArrayList<>()).add(renewal);
		}
		Set<LeaseRef> extended = new HashSet<>();
		byKey.forEach((key, due) -> extended.addAll(mutate("renew", key, (state) -> {
			long now = nowMillis();
			List<LeaseRecord> live = state.live(now - this.skewMillis);
			Set<LeaseRef> done = new HashSet<>();
			for (Renewal renewal : due) {
				for (int i = 0; i < live.size(); i++) {
					if (live.get(i).id().equals(renewal.lease().leaseId()) && live.get(i).isLiveAt(now)) {
						live.set(i, live.get(i).expiringAt(now + renewal.ttl().toMillis()));
						done.add(renewal.lease());
					}
				}
			}
			return done.isEmpty() ? Outcome.keep(done) : Outcome.write(state.with(live, state.token, false), done);
		})));
		return extended;
	}

	@Override
	public LockInfo inspect(String key) {
		checkKey("inspect", key);
		try {
			return info(key, read(key));
		}
		catch (KubernetesClientException ex) {
			throw unavailable("inspect", key, ex);
		}
	}

	private LockInfo info(String key, State state) {
		List<LeaseInfo> infos = new ArrayList<>();
		for (LeaseRecord record : state.live(nowMillis() - this.skewMillis)) {
			infos.add(record.info());
		}
		return LockInfo.of(key, infos);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		if (offset < 0 || limit < 0) {
			throw new IllegalArgumentException(
					"kubernetes provider list: offset and limit must not be negative, but were " + offset + ", " + limit);
		}
		List<LockInfo> locked = new ArrayList<>();
		try {
			List<? extends HasMetadata> items = this.objects.in(this.client, this.namespace)
				.withLabel(MANAGED_BY_LABEL, MANAGED_BY).list().getItems();
			for (HasMetadata object : items) {
				String key = annotation(object, KEY_ANNOTATION);
				if (key != null && key.startsWith(keyPrefix)) {
					LockInfo info = info(key, State.of(object, key, this::parse, false));
					if (info.isLocked()) {
						locked.add(info);
					}
				}
			}
		}
		catch (KubernetesClientException ex) {
			throw unavailable("list", keyPrefix, ex);
		}
		locked.sort(Comparator.comparing(LockInfo::key));
		int from = Math.min(offset, locked.size());
		int to = (int) Math.min((long) from + limit, locked.size());
		return new LockPage(List.copyOf(locked.subList(from, to)), locked.size());
	}

	@Override
	public boolean forceRelease(String key) {
		checkKey("forceRelease", key);
		boolean any = mutate("forceRelease", key, (state) -> {
			boolean live = !state.live(nowMillis()).isEmpty();
			return state.records.isEmpty() ? Outcome.keep(false)
					: Outcome.write(state.with(new ArrayList<>(), state.token, false), live);
		});
		this.signals.signal(key);
		return any;
	}

	@Override
	public boolean notifiesReleases() {
		return true;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return this.signals.subscribe(key);
	}

	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		return this.signals.subscribe(key, type);
	}

	@Override
	public void ping() {
		try {
			this.objects.in(this.client, this.namespace).list(new ListOptionsBuilder().withLimit(1L).build());
		}
		catch (KubernetesClientException ex) {
			throw unavailable("ping", "", ex);
		}
	}

	@Override
	public void close() {
		this.watch.close();
		if (this.serverTime != null) {
			this.serverTime.close();
		}
		if (this.closeClient) {
			this.client.close();
		}
	}

	@Override
	public String toString() {
		return "KubernetesLockProvider[" + this.objects.kind() + ", namespace=" + this.namespace + ", prefix="
				+ this.names.prefix() + "]";
	}

	// ------------------------------------------------------------------ read, decide, conditional write

	/**
	 * Reads the key's object, lets {@code decide} choose, and writes the new state conditionally on the
	 * resourceVersion that was read (or creates the object if there was none); on a 409 starts over.
	 */
	private <T> T mutate(String method, String key, Function<State, Outcome<T>> decide) {
		return mutate(this.objects, method, key, decide);
	}

	private <O extends HasMetadata, T> T mutate(LockObjects<O> kind, String method, String key,
			Function<State, Outcome<T>> decide) {
		String name = this.names.of(key);
		NonNamespaceOperation<O, ? extends KubernetesResourceList<O>, Resource<O>> objects = kind.in(this.client,
				this.namespace);
		try {
			for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
				O current = objects.withName(name).get();
				State state = State.of(current, key, this::parse, kind.adopts(name, key));
				Outcome<T> outcome = decide.apply(state);
				if (outcome.next == null) {
					return outcome.result;
				}
				O next = toObject(kind, name, key, current, outcome.next);
				try {
					if (current == null) {
						objects.resource(next).create();
					}
					else {
						objects.resource(next).update();
					}
					return outcome.result;
				}
				catch (KubernetesClientException ex) {
					boolean deletedSinceRead = current != null && ex.getCode() == 404;
					if (ex.getCode() != 409 && !deletedSinceRead) {
						throw ex;
					}
					// someone else wrote, created or (by hand) deleted the object since we read it: read again and
					// decide again, after a short random pause once conflicts repeat
					ConflictBackoff.pause(attempt + 1);
				}
			}
		}
		catch (KubernetesClientException ex) {
			throw unavailable(method, key, ex);
		}
		throw new LockProviderUnavailableException(key, "kubernetes provider " + method + ": still conflicting after "
				+ MAX_ATTEMPTS + " attempts on " + kind.kind() + " " + this.namespace + "/" + name, null);
	}

	private State read(String key) {
		String name = this.names.of(key);
		HasMetadata current = this.objects.in(this.client, this.namespace).withName(name).get();
		return State.of(current, key, this::parse, this.objects.adopts(name, key));
	}

	/** The object to write: the one read (changed in place; it is read again after a conflict) or a new one. */
	private <O extends HasMetadata> O toObject(LockObjects<O> kind, String name, String key, @Nullable O current,
			State next) {
		O object = (current != null) ? current : kind.newObject(name, this.namespace);
		ObjectMeta meta = object.getMetadata();
		Map<String, String> labels = new HashMap<>((meta.getLabels() != null) ? meta.getLabels() : Map.of());
		labels.put(MANAGED_BY_LABEL, MANAGED_BY);
		meta.setLabels(labels);
		Map<String, String> annotations = new HashMap<>(
				(meta.getAnnotations() != null) ? meta.getAnnotations() : Map.of());
		annotations.put(KEY_ANNOTATION, key);
		annotations.put(TOKEN_ANNOTATION, Long.toString(next.token));
		annotations.put(LEASES_ANNOTATION, this.client.getKubernetesSerialization().asJson(next.records));
		meta.setAnnotations(annotations);
		kind.mirror(object, next.records, next.token, next.newHolder, Instant.ofEpochMilli(nowMillis()));
		return object;
	}

	private List<LeaseRecord> parse(String json) {
		return this.client.getKubernetesSerialization().unmarshal(json, RECORDS);
	}

	private <O extends HasMetadata> KubernetesReleaseWatch<O> watch(LockObjects<O> kind) {
		NonNamespaceOperation<O, ? extends KubernetesResourceList<O>, Resource<O>> objects = kind.in(this.client,
				this.namespace);
		return new KubernetesReleaseWatch<>(kind.kind(),
				(watcher) -> objects.withLabel(MANAGED_BY_LABEL, MANAGED_BY).watch(watcher), this.signals,
				this::liveCountOf);
	}

	/**
	 * The leases in an object as last written, each counted by its permits (1 unless PERMITS), for the watch:
	 * a smaller count is a release or a partial release of permits.
	 */
	private int liveCountOf(HasMetadata object) {
		String json = annotation(object, LEASES_ANNOTATION);
		int count = 0;
		for (LeaseRecord record : (json != null) ? parse(json) : List.<LeaseRecord>of()) {
			count += Math.max(1, record.permits());
		}
		return count;
	}

	static @Nullable String annotation(HasMetadata object, String name) {
		Map<String, String> annotations = (object.getMetadata() != null) ? object.getMetadata().getAnnotations()
				: null;
		return (annotations != null) ? annotations.get(name) : null;
	}

	private long nowMillis() {
		return (this.serverTime != null) ? this.serverTime.nowMillis() : this.clock.now().toEpochMilli();
	}

	private LockProviderUnavailableException unavailable(String method, String key, KubernetesClientException ex) {
		// a 404 on a collection of Mutex objects: the API server does not know the kind
		String hint = (ex.getCode() == 404 && this.objects instanceof MutexObjects)
				? " (is the Mutex CustomResourceDefinition installed? kubectl apply -f mutex-crd.yaml)" : "";
		return new LockProviderUnavailableException(key, "kubernetes provider " + method + " on '"
				+ KeyText.forMessage(key) + "' failed: HTTP " + ex.getCode() + " " + ex.getMessage() + hint, ex);
	}

	// ------------------------------------------------------------------ validation

	private void validate(LeaseRequest request) {
		checkKey("acquire", request.key());
		checkTtl("acquire", request.key(), request.ttl());
		if (request.owner().length() > MAX_OWNER_CHARS) {
			throw new IllegalArgumentException("kubernetes provider acquire: owner id of '"
					+ KeyText.forMessage(request.key()) + "' has " + request.owner().length()
					+ " characters, more than the limit of " + MAX_OWNER_CHARS);
		}
		// bytes, not characters: the API server limits the annotations' UTF-8 size (see MAX_METADATA_BYTES)
		int metadataBytes = this.client.getKubernetesSerialization().asJson(request.metadata())
			.getBytes(StandardCharsets.UTF_8).length;
		if (metadataBytes > MAX_METADATA_BYTES) {
			throw new IllegalArgumentException("kubernetes provider acquire: metadata of '"
					+ KeyText.forMessage(request.key()) + "' takes " + metadataBytes
					+ " bytes of JSON (UTF-8), more than the limit of " + MAX_METADATA_BYTES);
		}
	}

	private static String checkKey(String method, String key) {
		Objects.requireNonNull(key, "key");
		if (key.isEmpty() || key.length() > MAX_KEY_CHARS) {
			throw new IllegalArgumentException("kubernetes provider " + method + ": key '" + KeyText.forMessage(key)
					+ "' must have 1 to " + MAX_KEY_CHARS + " characters, but has " + key.length());
		}
		return key;
	}

	private static void checkTtl(String method, String key, Duration ttl) {
		if (ttl.toMillis() < 1 || ttl.compareTo(MAX_TTL) > 0) {
			throw new IllegalArgumentException("kubernetes provider " + method + ": TTL of '" + KeyText.forMessage(key)
					+ "' must be 1 ms to 365 days, but was " + ttl);
		}
	}

	// ------------------------------------------------------------------ state of one key

	/** A key's state as read: its leases (live or not) and the last token issued. */
	private static final class State {

		final List<LeaseRecord> records;

		final long token;

		/** Whether this state (as the next one) grants to a key that had no live lease. */
		final boolean newHolder;

		State(List<LeaseRecord> records, long token, boolean newHolder) {
			this.records = records;
			this.token = token;
			this.newHolder = newHolder;
		}

		static State of(@Nullable HasMetadata lease, String key, Function<String, List<LeaseRecord>> parse,
				boolean adoptUnannotated) {
			if (lease == null) {
				return new State(List.of(), 0, false);
			}
			String storedKey = annotation(lease, KEY_ANNOTATION);
			if (storedKey == null && adoptUnannotated) {
				// a Mutex named exactly as this key: made by hand or by `locksmith mutex create` (no leases, no tokens
				// yet), or one whose key annotation was removed by hand: its lease and token annotations, if any,
				// are still this key's state and are read below, never dropped
				storedKey = key;
			}
			if (storedKey == null) {
				// never take over a Lease someone else uses (a client-go leader election, say) under this name
				throw new IllegalStateException(lease.getKind() + " " + lease.getMetadata().getName()
						+ " was not created by Locksmith (it has no " + KEY_ANNOTATION + " annotation); refusing to "
						+ "lock '" + KeyText.forMessage(key) + "' on it: choose another locksmith.kubernetes.name-prefix");
			}
			if (!storedKey.equals(key)) {
				throw new IllegalStateException(lease.getKind() + " " + lease.getMetadata().getName() + " belongs to key '"
						+ KeyText.forMessage(storedKey) + "', not '" + KeyText.forMessage(key) + "' (hash collision)");
			}
			String token = annotation(lease, TOKEN_ANNOTATION);
			String json = annotation(lease, LEASES_ANNOTATION);
			long last = (token != null) ? parseToken(token) : 0;
			if (last < 0 || last == Long.MAX_VALUE) {
				throw damaged(lease, TOKEN_ANNOTATION, token, null);
			}
			try {
				return new State((json != null) ? parse.apply(json) : List.of(), last, false);
			}
			catch (RuntimeException ex) {
				throw damaged(lease, LEASES_ANNOTATION, json, ex);
			}
		}

		private static long parseToken(String token) {
			try {
				return Long.parseLong(token);
			}
			catch (NumberFormatException ex) {
				return -1;
			}
		}

		/** An object whose state annotation was edited into something the provider did not write. */
		private static IllegalStateException damaged(HasMetadata object, String annotation, @Nullable String value,
				@Nullable Exception cause) {
			return new IllegalStateException(object.getKind() + " " + object.getMetadata().getName() + " has a "
					+ annotation + " annotation the provider did not write ('" + KeyText.forMessage(String.valueOf(value))
					+ "'); refusing to decide on it: restore it or delete the object (which restarts the key's fencing "
					+ "tokens)", cause);
		}

		/** Returns a mutable copy of the leases live at {@code now}. */
		List<LeaseRecord> live(long now) {
			List<LeaseRecord> live = new ArrayList<>(this.records.size() + 1);
			for (LeaseRecord record : this.records) {
				if (record.isLiveAt(now)) {
					live.add(record);
				}
			}
			return live;
		}

		State with(List<LeaseRecord> records, long token, boolean newHolder) {
			return new State(records, token, newHolder);
		}

	}

	/** What a decision returns: the state to write (or null to write nothing) and the answer. */
	private record Outcome<T>(@Nullable State next, T result) {

		static <T> Outcome<T> write(State next, T result) {
			return new Outcome<>(next, result);
		}

		static <T> Outcome<T> keep(T result) {
			return new Outcome<>(null, result);
		}

	}

	/**
	 * The kinds of Kubernetes object a lock can live in.
	 */
	public enum ObjectKind {

		/** {@code coordination.k8s.io/v1} Lease, readable by every Kubernetes tool. */
		LEASE,

		/** {@code locksmith.dev/v1} {@link Mutex}, the custom resource of {@code deploy/mutex-crd.yaml}. */
		MUTEX

	}

	/**
	 * Builds a {@link KubernetesLockProvider}.
	 */
	public static final class Builder {

		private final KubernetesClient client;

		private String namespace;

		private String namePrefix = "locksmith-";

		private LockClock clock = LockClock.system();

		private Duration clockSkewAllowance = DEFAULT_CLOCK_SKEW_ALLOWANCE;

		private boolean closeClient;

		private boolean apiServerTime = true;

		private ObjectKind resource = ObjectKind.LEASE;

		private Builder(KubernetesClient client) {
			this.client = Objects.requireNonNull(client, "client must not be null");
			String clientNamespace = client.getNamespace();
			this.namespace = (clientNamespace != null) ? clientNamespace : "default";
		}

		/**
		 * Sets the namespace of the Lease objects (default: the client's, from the pod's service account
		 * or the kubeconfig context, else {@code default}).
		 * @param namespace the namespace
		 * @return this builder
		 */
		public Builder namespace(String namespace) {
			if (namespace == null || namespace.isBlank()) {
				throw new IllegalArgumentException("locksmith.kubernetes.namespace must not be empty");
			}
			this.namespace = namespace;
			return this;
		}

		/**
		 * Sets the prefix of the object names (default {@code locksmith-}).
		 * @param namePrefix 1 to 40 lower-case letters, digits or '-'
		 * @return this builder
		 */
		public Builder namePrefix(String namePrefix) {
			new ObjectNames(namePrefix);
			this.namePrefix = namePrefix;
			return this;
		}

		/**
		 * Sets the clock that stamps and judges expiry (default the system clock; see the class notes on time).
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(LockClock clock) {
			this.clock = Objects.requireNonNull(clock, "clock must not be null");
			return this;
		}

		/**
		 * Sets how far another client's wall clock may run ahead of the holder's without a lock being taken
		 * while its holder still considers it held (default {@link #DEFAULT_CLOCK_SKEW_ALLOWANCE}): a lease
		 * still blocks others, and still shows as held, until its stored expiry plus this allowance on the
		 * reader's clock. Takeover after a crash is that much later. Zero relies on the core's drift allowance
		 * alone (1% of the TTL plus 2 ms).
		 * @param allowance 0 to 1 hour
		 * @return this builder
		 */
		public Builder clockSkewAllowance(Duration allowance) {
			if (allowance == null || allowance.isNegative() || allowance.compareTo(Duration.ofHours(1)) > 0) {
				throw new IllegalArgumentException(
						"locksmith.kubernetes clock-skew allowance must be 0 to 1 hour, but was " + allowance);
			}
			this.clockSkewAllowance = allowance;
			return this;
		}

		/**
		 * Sets whether expiry is stamped and judged on the API server's time (default {@code true}): this client's
		 * clock shifted by what the {@code Date} header of a {@code GET /version} every minute says. With
		 * {@code false} the {@link #clock} is used as it is (tests that script the clock).
		 * @param apiServerTime whether to follow the API server's time
		 * @return this builder
		 */
		public Builder apiServerTime(boolean apiServerTime) {
			this.apiServerTime = apiServerTime;
			return this;
		}

		/**
		 * Sets the kind of object the locks live in (default {@link ObjectKind#LEASE}). Every client of a key must
		 * use the same kind: a key's Lease and its Mutex are separate objects, so a client on each would both be
		 * granted it; change the kind only with every client of the namespace's keys stopped.
		 * @param resource the kind; {@link ObjectKind#MUTEX} needs the Mutex CustomResourceDefinition installed
		 * @return this builder
		 */
		public Builder resource(ObjectKind resource) {
			this.resource = Objects.requireNonNull(resource, "resource must not be null");
			return this;
		}

		/**
		 * Makes {@link KubernetesLockProvider#close()} close the client too (for a client the provider's
		 * creator made only for it).
		 * @param closeClient whether to close the client
		 * @return this builder
		 */
		public Builder closeClient(boolean closeClient) {
			this.closeClient = closeClient;
			return this;
		}

		/**
		 * Builds the provider and starts its watch.
		 * @return the provider
		 */
		public KubernetesLockProvider build() {
			return new KubernetesLockProvider(this);
		}

	}

}
