package dev.locksmith.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockHandle;
import dev.locksmith.LockInfo;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LockProvider;

/**
 * One client process of the suite: several threads run a workload through the public API
 * ({@code MutexService.acquire}, read-write locks, a semaphore) and record every step in the process's
 * history. A critical section checks {@code isValid()}, works a little, writes to the fenced store with the
 * lease's token (a read-lock holder makes a fenced read; a semaphore holder only checks), and repeats for a while (sometimes longer than the TTL, so renewal matters); it stops early when the
 * lease is invalid or the store rejects it. {@code onLost} is recorded. A line {@code stop} (or the end) on
 * standard input ends the run: every thread finishes its section and releases.
 *
 * <p>Arguments, as {@code name=value}: {@code name}, {@code backend}, {@code endpoints}, {@code store},
 * {@code history}, {@code threads}, {@code ttlMs}, {@code seed}, optional {@code clockRate} (a drifting
 * {@code LockClock}) and {@code broken} (see {@link BrokenProvider}).
 */
public final class ClientMain {

	static final String KEY_PREFIX = "faults:";

	static final List<String> MUTEX_KEYS = List.of("m0", "m1", "m2");

	static final String RW_KEY = "rw0";

	static final String SEMAPHORE_KEY = "s0";

	static final int SEMAPHORE_PERMITS = 2;

	private final Map<String, String> args;

	private final HistoryWriter history;

	private final @Nullable LockEngine locks;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final URI store;

	private final Duration ttl;

	private final AtomicBoolean stopping = new AtomicBoolean();

	private final AtomicLong writeIds;

	/**
	 * Creates a client.
	 * @param args the arguments
	 * @param locks the service its default workload runs on, or null when another worker drives it
	 */
	ClientMain(Map<String, String> args, @Nullable LockEngine locks) {
		this.args = args;
		this.history = new HistoryWriter(Path.of(args.get("history")), args.get("name"));
		this.store = URI.create(args.get("store"));
		this.ttl = Duration.ofMillis(Long.parseLong(args.get("ttlMs")));
		// write ids unique across processes: the pid in the high bits
		this.writeIds = new AtomicLong(ProcessHandle.current().pid() << 32);
		this.locks = locks;
	}

	private static LockEngine engine(Map<String, String> args, LockProvider provider) {
		Locksmith.Builder builder = Locksmith.builder(provider).ownerId(args.get("name")).keyPrefix(KEY_PREFIX);
		String rate = args.get("clockRate");
		if (rate != null) {
			builder.clock(new DriftingClock(Double.parseDouble(rate)));
		}
		return builder.build();
	}

	/**
	 * Parses {@code name=value} arguments.
	 * @param argv the arguments
	 * @return them by name
	 */
	static Map<String, String> arguments(String[] argv) {
		Map<String, String> args = new HashMap<>();
		for (String arg : argv) {
			int eq = arg.indexOf('=');
			if (eq <= 0) {
				throw new IllegalArgumentException("ClientMain: expected name=value, got " + arg);
			}
			args.put(arg.substring(0, eq), arg.substring(eq + 1));
		}
		return args;
	}

	/** One iteration of a worker thread. */
	interface Worker {

		/**
		 * Runs one operation.
		 * @param thread the worker's number
		 * @param random its random source
		 */
		void step(int thread, Random random);

	}

	/**
	 * Runs a client.
	 * @param argv {@code name=value} arguments
	 * @throws Exception if the client cannot start
	 */
	public static void main(String[] argv) throws Exception {
		Map<String, String> args = arguments(argv);
		int threads = Integer.parseInt(args.get("threads"));
		try (BackendClient backend = new BackendClient(args.get("backend"), args.get("endpoints"), threads + 3)) {
			LockProvider provider = backend.provider();
			if (args.containsKey("broken")) {
				provider = new BrokenProvider(provider, args.get("broken"), Long.parseLong(args.get("seed")));
			}
			try (LockEngine locks = engine(args, provider)) {
				ClientMain client = new ClientMain(args, locks);
				client.run(threads, Long.parseLong(args.get("seed")), client::step);
			}
		}
		System.exit(0);
	}

	/**
	 * Runs the workers until {@code stop} arrives on standard input, then waits for them.
	 * @param threads how many workers
	 * @param seed the seed of their random sources
	 * @param worker what each worker does, over and over
	 * @throws InterruptedException if interrupted
	 */
	void run(int threads, long seed, Worker worker) throws InterruptedException {
		if (this.locks != null) {
			warmUp();
		}
		List<Thread> workers = new ArrayList<>();
		for (int i = 1; i <= threads; i++) {
			int index = i;
			Random random = new Random(seed * 31 + i);
			Thread thread = new Thread(() -> work(index, random, worker), "worker-" + i);
			thread.start();
			workers.add(thread);
		}
		System.out.println("ready " + this.args.get("name"));
		System.out.flush();
		try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
			String line;
			do {
				line = in.readLine();
			}
			while (line != null && !line.equals("stop"));
		}
		catch (IOException ex) {
			// the orchestrator went away: stop as well
		}
		this.stopping.set(true);
		for (Thread thread : workers) {
			thread.join();
		}
		if (this.args.get("backend").equals("memory") && this.locks != null) {
			recordLeaks();
		}
		this.history.close();
	}

	/** Loads the client's code paths on a private key, unrecorded, so that a cold JVM does not count. */
	private void warmUp() {
		String key = "warm-" + this.args.get("name");
		for (int i = 0; i < 5; i++) {
			try (LockHandle handle = this.locks.acquire(key, LockOptions.ttl(this.ttl).withWaitTime(this.ttl))) {
				handle.isValid();
			}
			catch (RuntimeException ex) {
				pause(50);
			}
		}
		write(key, 1, "warm-up", 0, "write");
	}

	private void work(int thread, Random random, Worker worker) {
		while (!this.stopping.get()) {
			try {
				worker.step(thread, random);
			}
			catch (RuntimeException ex) {
				this.history.record(thread, Event.Type.INFO, "error", "-", null, 0, ex.getClass().getSimpleName(), 0);
				pause(50);
			}
		}
	}

	private void step(int thread, Random random) {
		int dice = random.nextInt(100);
		if (dice < 60) {
			String key = MUTEX_KEYS.get(random.nextInt(MUTEX_KEYS.size()));
			hold(thread, random, key, "excl", () -> this.locks.acquire(key, options(random)));
		}
		else if (dice < 70) {
			hold(thread, random, RW_KEY, "excl", () -> this.locks.readWrite(RW_KEY).write(options(random)));
		}
		else if (dice < 85) {
			hold(thread, random, RW_KEY, "read", () -> this.locks.readWrite(RW_KEY).read(options(random)));
		}
		else {
			hold(thread, random, SEMAPHORE_KEY, "permit" + SEMAPHORE_PERMITS,
					() -> this.locks.semaphore(SEMAPHORE_KEY, SEMAPHORE_PERMITS).acquire(1, options(random)));
		}
	}

	private LockOptions options(Random random) {
		return LockOptions.ttl(this.ttl).withAutoExtend(true).withWaitTime(this.ttl.multipliedBy(3));
	}

	private interface Acquisition {

		LockHandle acquire();

	}

	private void hold(int thread, Random random, String key, String mode, Acquisition acquisition) {
		this.history.record(thread, Event.Type.INVOKE, "acquire", key, null, 0, mode, 0);
		LockHandle handle;
		try {
			handle = acquisition.acquire();
		}
		catch (LockNotAcquiredException ex) {
			this.history.record(thread, Event.Type.FAIL, "acquire", key, null, 0, "timeout", 0);
			return;
		}
		catch (LockProviderUnavailableException ex) {
			this.history.record(thread, Event.Type.FAIL, "acquire", key, null, 0, "unavailable", 0);
			pause(100);
			return;
		}
		catch (RuntimeException ex) {
			this.history.record(thread, Event.Type.FAIL, "acquire", key, null, 0, "error:" + ex.getClass().getSimpleName(),
					0);
			pause(100);
			return;
		}
		section(thread, random, key, mode, handle);
		this.history.record(thread, Event.Type.INVOKE, "release", key, handle.leaseId(), handle.fencingToken(), null, 0);
		try {
			ReleaseOutcome outcome = handle.release();
			this.history.record(thread, Event.Type.OK, "release", key, handle.leaseId(), handle.fencingToken(),
					outcome.name(), 0);
		}
		catch (RuntimeException ex) {
			this.history.record(thread, Event.Type.FAIL, "release", key, handle.leaseId(), handle.fencingToken(),
					ex.getClass().getSimpleName(), 0);
		}
	}

	/**
	 * Records the grant and runs the critical section on a held lease (the caller releases it).
	 * @param thread the worker's number
	 * @param random its random source
	 * @param key the key
	 * @param mode excl, read or permitN
	 * @param handle the held lease
	 */
	void section(int thread, Random random, String key, String mode, LockHandle handle) {
		String lease = handle.leaseId();
		long token = handle.fencingToken();
		this.history.record(thread, Event.Type.OK, "acquire", key, lease, token, mode, 0);
		handle.onLost(() -> this.history.record(0, Event.Type.INFO, "lost", key, lease, token, "callback", 0));
		// the section lasts 0.2 to 2.2 TTLs, in steps of up to a third of the TTL
		long sectionEnd = System.nanoTime() + (long) (this.ttl.toNanos() * (0.2 + 2.0 * random.nextDouble()));
		boolean fenced = !mode.startsWith("permit");
		do {
			long checked = System.nanoTime();
			boolean valid = handle.isValid();
			if (fenced) {
				long id = this.writeIds.incrementAndGet();
				this.history.record(new Event(checked, this.args.get("name"), thread, Event.Type.INVOKE, "write", key,
						lease, token, valid ? "valid" : "invalid", id));
				if (!valid) {
					break;
				}
				// the work between the check and the write: a pause here makes the write land late
				pause(1 + random.nextInt((int) Math.max(1, this.ttl.toMillis() / 3)));
				String outcome = write(key, token, lease, id, mode.equals("read") ? "read" : "write");
				this.history.record(thread, outcome.equals("error") ? Event.Type.FAIL : Event.Type.OK, "write", key,
						lease, token, outcome, id);
				if (!outcome.equals("accepted")) {
					break;
				}
			}
			else {
				this.history.record(new Event(checked, this.args.get("name"), thread, Event.Type.INFO, "check", key,
						lease, token, valid ? "valid" : "invalid", 0));
				if (!valid) {
					break;
				}
				pause(1 + random.nextInt((int) Math.max(1, this.ttl.toMillis() / 3)));
			}
		}
		while (System.nanoTime() < sectionEnd && !this.stopping.get());
	}

	/**
	 * Returns the history this client records to.
	 * @return the history
	 */
	HistoryWriter history() {
		return this.history;
	}

	private String write(String key, long token, String lease, long id, String access) {
		HttpRequest request = HttpRequest
			.newBuilder(this.store.resolve(
					"/write?key=" + key + "&token=" + token + "&lease=" + lease + "&id=" + id + "&mode=" + access))
			.timeout(Duration.ofSeconds(5))
			.GET()
			.build();
		try {
			HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
			return (response.statusCode() == 200) ? response.body() : "error";
		}
		catch (IOException ex) {
			return "error";
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "error";
		}
	}

	private void recordLeaks() {
		for (String key : List.of("m0", "m1", "m2", RW_KEY, SEMAPHORE_KEY)) {
			LockInfo info = this.locks.inspect(key);
			info.leases().forEach((lease) -> this.history.record(0, Event.Type.INFO, "leak", key, lease.leaseId(),
					lease.fencingToken(), lease.owner(), 0));
		}
	}

	static void pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
