package dev.locksmith.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockOptions;
import dev.locksmith.LockPage;
import dev.locksmith.MutexService;
import org.jspecify.annotations.Nullable;

/**
 * What the lock service does, independent of REST or gRPC: validates requests and maps them onto detached
 * leases of a {@link MutexService}. Keeps no state of its own, so every instance on the same backend serves
 * the same locks.
 *
 * <p>A service lock is a lease on key {@code keyPrefix + service} with metadata {@code service} and
 * {@code who}; it is never renewed by the server and expires after its TTL unless extended.
 */
public final class ServiceLocks {

	/** Longest service name or {@code who}, in characters. */
	public static final int MAX_NAME_LENGTH = 256;

	/** Largest page size of {@link #list}. */
	public static final int MAX_PER_PAGE = 1000;

	/** Page size when the client gives none. */
	public static final int DEFAULT_PER_PAGE = 10;

	static final String SERVICE = "service";

	static final String WHO = "who";

	private static final int LIST_CHUNK = 500;

	/** How often a waiting create whose caller can give up checks whether it has. */
	private static final Duration CANCEL_CHECK_INTERVAL = Duration.ofMillis(500);

	private static final BooleanSupplier NEVER_CANCELLED = () -> false;

	private final MutexService locks;

	private final Duration defaultTtl;

	private final Duration maxTtl;

	private final Duration maxWait;

	private final String keyPrefix;

	private final byte @Nullable [] token;

	private final int maxWaitingRequests;

	/** One permit per create request that may wait at once, so that waiting never takes every thread. */
	private final Semaphore waitingSlots;

	/**
	 * Creates the service.
	 * @param locks the lock service to keep the leases in
	 * @param properties the settings (validated here)
	 */
	public ServiceLocks(MutexService locks, LockServerProperties properties) {
		properties.validate();
		this.locks = Objects.requireNonNull(locks, "locks");
		this.defaultTtl = properties.getDefaultTtl();
		this.maxTtl = properties.getMaxTtl();
		this.maxWait = properties.getMaxWait();
		this.keyPrefix = properties.getKeyPrefix();
		this.maxWaitingRequests = properties.getMaxWaitingRequests();
		this.waitingSlots = new Semaphore(this.maxWaitingRequests);
		String configured = properties.getToken();
		this.token = (configured == null || configured.isEmpty()) ? null
				: configured.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Checks a request's credentials.
	 * @param authorization the {@code Authorization} header or metadata value, may be null
	 * @throws LockServiceException (unauthorized) if a token is configured and not presented
	 */
	public void authorize(@Nullable String authorization) {
		if (this.token == null) {
			return;
		}
		byte[] presented = new byte[0];
		if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
		}
		if (!MessageDigest.isEqual(this.token, presented)) {
			throw LockServiceException.unauthorized();
		}
	}

	/**
	 * Takes the lock on {@code service}, waiting up to {@code wait} if it is held.
	 * @param service the service name (required)
	 * @param who who takes it (required)
	 * @param ttl the lease time, or null/empty for the default
	 * @param wait how long to wait, or null/empty to try once
	 * @return the new lock
	 * @throws LockServiceException (bad request) for bad input, (conflict) if the service stays locked,
	 * (overloaded) if it is held and {@code locksmith.server.max-waiting-requests} requests already wait
	 */
	public ServiceLock create(@Nullable String service, @Nullable String who, @Nullable String ttl,
			@Nullable String wait) {
		return create(service, who, ttl, wait, null);
	}

	/**
	 * Like {@link #create(String, String, String, String)}, never waiting longer than {@code waitLimit}
	 * (a caller's deadline).
	 * @param service the service name (required)
	 * @param who who takes it (required)
	 * @param ttl the lease time, or null/empty for the default
	 * @param wait how long to wait, or null/empty to try once
	 * @param waitLimit the longest wait whatever {@code wait} says, or {@code null} for no limit
	 * @return the new lock
	 * @throws LockServiceException (bad request) for bad input, (conflict) if the service stays locked,
	 * (overloaded) if it is held and {@code locksmith.server.max-waiting-requests} requests already wait
	 */
	public ServiceLock create(@Nullable String service, @Nullable String who, @Nullable String ttl,
			@Nullable String wait, @Nullable Duration waitLimit) {
		return create(service, who, ttl, wait, waitLimit, NEVER_CANCELLED);
	}

	/**
	 * Like {@link #create(String, String, String, String, Duration)} for a caller that can give up while
	 * it waits (a cancelled gRPC call): the wait ends within about half a second of {@code cancelled}
	 * turning true, giving back its waiting slot, and no lock is taken after that.
	 * @param service the service name (required)
	 * @param who who takes it (required)
	 * @param ttl the lease time, or null/empty for the default
	 * @param wait how long to wait, or null/empty to try once
	 * @param waitLimit the longest wait whatever {@code wait} says, or {@code null} for no limit
	 * @param cancelled whether the caller has given up
	 * @return the new lock
	 * @throws LockServiceException (bad request) for bad input, (conflict) if the service stays locked or
	 * the caller gave up, (overloaded) if it is held and {@code locksmith.server.max-waiting-requests}
	 * requests already wait
	 */
	public ServiceLock create(@Nullable String service, @Nullable String who, @Nullable String ttl,
			@Nullable String wait, @Nullable Duration waitLimit, BooleanSupplier cancelled) {
		String name = requireName(SERVICE, service);
		String holder = requireName(WHO, who);
		Duration leaseTime = ttl(ttl);
		Duration waitTime = Durations.parse("wait", wait);
		if (waitTime == null) {
			waitTime = Duration.ZERO;
		}
		if (waitTime.compareTo(this.maxWait) > 0) {
			throw LockServiceException.badRequest("wait",
					"wait must be at most " + this.maxWait + " (locksmith.server.max-wait), was '" + wait + "'");
		}
		if (waitLimit != null && waitTime.compareTo(waitLimit) > 0) {
			waitTime = waitLimit.isNegative() ? Duration.ZERO : waitLimit;
		}
		return create(name, holder, leaseTime, waitTime, cancelled);
	}

	/**
	 * Takes the lock with already validated arguments, in one of the bounded waiting slots if it has to wait.
	 * @param service the service name
	 * @param who the holder
	 * @param ttl the lease time
	 * @param wait how long to wait
	 * @return the new lock
	 * @throws LockServiceException (conflict) if the service stays locked, (overloaded) if it is held and
	 * every waiting slot is taken
	 */
	ServiceLock create(String service, String who, Duration ttl, Duration wait) {
		return create(service, who, ttl, wait, NEVER_CANCELLED);
	}

	private ServiceLock create(String service, String who, Duration ttl, Duration wait, BooleanSupplier cancelled) {
		if (wait.isZero()) {
			return take(service, who, ttl, Duration.ZERO, NEVER_CANCELLED);
		}
		if (!this.waitingSlots.tryAcquire()) {
			// every waiting slot is taken: a free lock is still granted, a held one is refused at once
			try {
				return take(service, who, ttl, Duration.ZERO, NEVER_CANCELLED);
			}
			catch (LockServiceException ex) {
				if (ex.reason() == LockServiceException.Reason.CONFLICT) {
					throw LockServiceException.overloaded(this.maxWaitingRequests + " create requests are already "
							+ "waiting (locksmith.server.max-waiting-requests); retry later");
				}
				throw ex;
			}
		}
		try {
			return take(service, who, ttl, wait, cancelled);
		}
		finally {
			this.waitingSlots.release();
		}
	}

	/**
	 * Returns how many create requests are waiting for a held lock right now (at most
	 * {@code locksmith.server.max-waiting-requests}).
	 * @return the number of waiting create requests
	 */
	public int waitingRequests() {
		return this.maxWaitingRequests - this.waitingSlots.availablePermits();
	}

	private ServiceLock take(String service, String who, Duration ttl, Duration wait, BooleanSupplier cancelled) {
		String key = this.keyPrefix + service;
		LockOptions options = LockOptions.ttl(ttl)
			.withAutoExtend(false)
			.withName("lock-service")
			.withMetadata(Map.of(SERVICE, service, WHO, who));
		long waitUntil = System.nanoTime() + wait.toNanos();
		for (int attempt = 0; attempt < 3; attempt++) {
			LeaseInfo granted = acquire(key, options, waitUntil, cancelled);
			if (granted != null) {
				LeaseInfo stored = find(this.locks.inspect(key), granted.leaseId());
				return toLock(service, (stored != null) ? stored : granted);
			}
			LockInfo holder = this.locks.inspect(key);
			LeaseInfo current = newestLease(holder);
			if (current != null) {
				if (!addressable(current)) {
					throw LockServiceException.conflict(null);
				}
				throw LockServiceException.conflict(toLock(service, current));
			}
			// released between the attempt and the inspection: try again at once
			waitUntil = System.nanoTime();
		}
		throw LockServiceException.conflict(null);
	}

	/**
	 * Tries to take {@code key} until {@code waitUntil} (a {@link System#nanoTime()} value); a caller that
	 * can give up waits in short slices and stops after the first slice that ends with it gone.
	 */
	private @Nullable LeaseInfo acquire(String key, LockOptions options, long waitUntil, BooleanSupplier cancelled) {
		while (true) {
			long remaining = Math.max(0, waitUntil - System.nanoTime());
			long slice = (cancelled == NEVER_CANCELLED) ? remaining
					: Math.min(remaining, CANCEL_CHECK_INTERVAL.toNanos());
			LeaseInfo granted = this.locks.acquireDetached(key, options.withWaitTime(Duration.ofNanos(slice)))
				.orElse(null);
			if (granted != null || slice >= remaining || cancelled.getAsBoolean()) {
				return granted;
			}
		}
	}

	/**
	 * Returns a held lock by id.
	 * @param id the id
	 * @return the lock
	 * @throws LockServiceException (not found) if the id is malformed, unknown, released or expired
	 */
	public ServiceLock get(@Nullable String id) {
		LockId lockId = parse(id);
		LeaseInfo lease = find(this.locks.inspect(this.keyPrefix + lockId.service()), lockId.leaseId());
		if (lease == null) {
			throw LockServiceException.notFound(id);
		}
		return toLock(lockId.service(), lease);
	}

	/**
	 * Releases a lock by id.
	 * @param id the id
	 * @return the released lock's service name
	 * @throws LockServiceException (not found) if the id is malformed, unknown, released or expired
	 */
	public String release(@Nullable String id) {
		LockId lockId = parse(id);
		if (!this.locks.releaseLease(this.keyPrefix + lockId.service(), lockId.leaseId())) {
			throw LockServiceException.notFound(id);
		}
		return lockId.service();
	}

	/**
	 * Sets a held lock to expire {@code ttl} from now.
	 * @param id the id
	 * @param ttl the new lease time, or null/empty for the default
	 * @return the lock with its new expiry
	 * @throws LockServiceException (bad request) for a bad ttl, (not found) if the lock is not held
	 */
	public ServiceLock extend(@Nullable String id, @Nullable String ttl) {
		Duration leaseTime = ttl(ttl);
		LockId lockId = parse(id);
		if (!this.locks.extendLease(this.keyPrefix + lockId.service(), lockId.leaseId(), leaseTime)) {
			throw LockServiceException.notFound(id);
		}
		return get(id);
	}

	/**
	 * Lists held service locks, ordered by service.
	 * @param page the page number, at least 1
	 * @param perPage the page size, 1 to {@value #MAX_PER_PAGE}
	 * @return the page
	 * @throws LockServiceException (bad request) for a page or size out of range
	 */
	public ServiceLockPage list(int page, int perPage) {
		if (page < 1) {
			throw LockServiceException.badRequest("page", "page must be at least 1, was " + page);
		}
		if (perPage < 1 || perPage > MAX_PER_PAGE) {
			throw LockServiceException.badRequest("per_page",
					"per_page must be between 1 and " + MAX_PER_PAGE + ", was " + perPage);
		}
		List<ServiceLock> all = all();
		long from = (long) (page - 1) * perPage;
		int start = (int) Math.min(from, all.size());
		int end = (int) Math.min((long) start + perPage, all.size());
		return new ServiceLockPage(all.subList(start, end), all.size(), page, perPage);
	}

	/**
	 * Lists the held service locks whose service contains {@code fragment} (normalised like a service name),
	 * ignoring case, ordered by service
	 * (reading the backend once, as {@link #list} does).
	 * @param fragment the part of the service name to look for; empty for all
	 * @param limit the most locks to return, at least 1
	 * @return the first {@code limit} matching locks; its total is the number of all matching locks
	 * @throws IllegalArgumentException if {@code limit} is less than 1
	 */
	public ServiceLockPage find(String fragment, int limit) {
		if (limit < 1) {
			throw new IllegalArgumentException("ServiceLocks.find limit must be at least 1, was " + limit);
		}
		String part = normalise(fragment).toLowerCase(Locale.ROOT);
		List<ServiceLock> matching = new ArrayList<>();
		long total = 0;
		for (ServiceLock lock : all()) {
			if (lock.service().toLowerCase(Locale.ROOT).contains(part)) {
				total++;
				if (matching.size() < limit) {
					matching.add(lock);
				}
			}
		}
		return new ServiceLockPage(matching, total, 1, limit);
	}

	/** Every held service lock; only keys under the service prefix are read from the backend. */
	private List<ServiceLock> all() {
		List<ServiceLock> all = new ArrayList<>();
		int offset = 0;
		while (true) {
			LockPage chunk = this.locks.list(this.keyPrefix, offset, LIST_CHUNK);
			for (LockInfo info : chunk.locks()) {
				if (info.key().startsWith(this.keyPrefix)) {
					String service = info.key().substring(this.keyPrefix.length());
					for (LeaseInfo lease : info.leases()) {
						if (addressable(lease) && !service.isEmpty()) {
							all.add(toLock(service, lease));
						}
					}
				}
			}
			offset += chunk.locks().size();
			if (chunk.locks().isEmpty() || offset >= chunk.total()) {
				break;
			}
		}
		return all;
	}

	/**
	 * Normalises a service name or holder as every request does before using it: surrounding whitespace
	 * stripped, then Unicode NFC, so that {@code "deploy "} and {@code "deploy"}, or a composed and a
	 * decomposed {@code "café"}, are the same lock.
	 * @param value the value as the client sent it
	 * @return the normalised value
	 */
	static String normalise(String value) {
		return Normalizer.normalize(value.strip(), Normalizer.Form.NFC);
	}

	/**
	 * Checks a normalised service name or holder: not blank, at most {@value #MAX_NAME_LENGTH} characters,
	 * and no character that cannot be seen (controls, format characters such as zero-width spaces and
	 * bidirectional overrides, line separators, spaces other than U+0020, unpaired surrogates, private-use
	 * or unassigned code points, variation selectors and fillers), so that two names that look the same
	 * are the same name.
	 * @param value the value
	 * @return a problem description, or {@code null} if the value is fine
	 */
	static @Nullable String checkName(@Nullable String value) {
		if (value == null || value.isBlank()) {
			return "must not be blank";
		}
		if (value.length() > MAX_NAME_LENGTH) {
			return "must be at most " + MAX_NAME_LENGTH + " characters, was " + value.length();
		}
		for (int i = 0; i < value.length();) {
			int codePoint = value.codePointAt(i);
			if (isInvisible(codePoint)) {
				return String.format(Locale.ROOT,
						"must not contain control, format or invisible characters (U+%04X at position %d)", codePoint,
						i + 1);
			}
			i += Character.charCount(codePoint);
		}
		return null;
	}

	private static boolean isInvisible(int codePoint) {
		return switch (Character.getType(codePoint)) {
			case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
					Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR ->
				true;
			case Character.SPACE_SEPARATOR -> codePoint != ' ';
			// default-ignorable code points that Unicode files under letters or marks, and symbols drawn blank
			// (braille pattern blank, musical null notehead)
			default -> codePoint == 0x2800 || codePoint == 0x1D159 || codePoint == 0x034F || codePoint == 0x115F || codePoint == 0x1160 || codePoint == 0x17B4
					|| codePoint == 0x17B5 || (codePoint >= 0x180B && codePoint <= 0x180F) || codePoint == 0x3164
					|| (codePoint >= 0xFE00 && codePoint <= 0xFE0F) || codePoint == 0xFFA0
					|| (codePoint >= 0xE0100 && codePoint <= 0xE01EF);
		};
	}

	private static String requireName(String field, @Nullable String value) {
		String normalised = (value != null) ? normalise(value) : null;
		String problem = checkName(normalised);
		if (problem != null) {
			throw LockServiceException.badRequest(field, field + " " + problem);
		}
		return normalised;
	}

	private Duration ttl(@Nullable String text) {
		Duration ttl = Durations.parse("ttl", text);
		if (ttl == null) {
			return this.defaultTtl;
		}
		if (ttl.isZero()) {
			throw LockServiceException.badRequest("ttl", "ttl must be positive, was '" + text + "'");
		}
		if (ttl.compareTo(this.maxTtl) > 0) {
			throw LockServiceException.badRequest("ttl",
					"ttl must be at most " + this.maxTtl + " (locksmith.server.max-ttl), was '" + text + "'");
		}
		return ttl;
	}

	private static LockId parse(@Nullable String id) {
		if (id == null || id.isBlank()) {
			throw LockServiceException.badRequest("id", "id must not be blank");
		}
		return LockId.parse(id).orElseThrow(() -> LockServiceException.notFound(id));
	}

	private static @Nullable LeaseInfo find(LockInfo info, String leaseId) {
		for (LeaseInfo lease : info.leases()) {
			if (lease.leaseId().equals(leaseId) && lease.type() == LeaseType.WRITE) {
				return lease;
			}
		}
		return null;
	}

	private static @Nullable LeaseInfo newestLease(LockInfo info) {
		List<LeaseInfo> leases = info.leases();
		return leases.isEmpty() ? null : leases.get(leases.size() - 1);
	}

	private static ServiceLock toLock(String service, LeaseInfo lease) {
		String who = lease.metadata().getOrDefault(WHO, lease.owner());
		return new ServiceLock(new LockId(service, lease.leaseId()).encode(), service, who, lease.lockedAt(),
				lease.expiresAt(), lease.fencingToken());
	}

	private static boolean addressable(LeaseInfo lease) {
		return lease.type() == LeaseType.WRITE && LockId.isLeaseId(lease.leaseId());
	}

}
