package dev.locksmith.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;

/**
 * One run: a backend, a fault kind and a seed. Starts the fenced store, the backend, a proxy per backend
 * port for client c1, and the clients; injects faults on the seeded schedule; stops the clients
 * gracefully; waits a TTL and lists what is left on the backend (leaks); then checks the merged history.
 * Every process and server it started is stopped, whatever happens.
 */
final class FaultRun {

	/**
	 * What a run does.
	 * @param backend the backend name
	 * @param fault the fault kind
	 * @param seed the schedule's seed
	 * @param clients how many client processes
	 * @param threads worker threads per client
	 * @param ttl the lease TTL the clients use
	 * @param duration how long the workload runs
	 * @param broken a {@link BrokenProvider} mode for every client, or null
	 */
	record Config(String backend, Fault fault, long seed, int clients, int threads, Duration ttl, Duration duration,
			String broken) {
	}

	/**
	 * A finished run.
	 * @param config what ran
	 * @param operations lock operations that completed (acquire, release) across clients
	 * @param report the checker's report
	 * @param failed whether the run broke a guarantee
	 * @param directory where its histories are
	 */
	record Result(Config config, long operations, Checker.Report report, boolean failed, Path directory) {
	}

	private static final Duration QUIET = Duration.ofMillis(2500);

	private final Config config;

	private final Path directory;

	private final HistoryWriter nemesis;

	private final Random random;

	private int nextClient;

	private FaultRun(Config config, Path directory) {
		this.config = config;
		this.directory = directory;
		this.nemesis = new HistoryWriter(directory.resolve("nemesis.history"), "nemesis");
		this.random = new Random(config.seed());
	}

	/**
	 * Runs and checks one configuration.
	 * @param config what to run
	 * @param output the campaign's output directory (a subdirectory per run)
	 * @return the result
	 * @throws Exception if the run could not be set up
	 */
	static Result run(Config config, Path output) throws Exception {
		Path directory = output.resolve(config.backend() + "-" + config.fault().name().toLowerCase() + "-"
				+ config.seed() + ((config.broken() != null) ? "-broken-" + config.broken() : ""));
		deleteRecursively(directory);
		Files.createDirectories(directory);
		FaultRun run = new FaultRun(config, directory);
		try {
			run.execute();
		}
		finally {
			run.nemesis.close();
		}
		return run.check();
	}

	private void execute() throws Exception {
		try (FencedStore store = new FencedStore(this.directory.resolve("store.history"));
				ServerBackend backend = ServerBackend.start(this.config.backend());
				ClientProcesses clients = new ClientProcesses(this.directory)) {
			if (!backend.supports(this.config.fault())) {
				throw new IllegalArgumentException(this.config.backend() + " does not support " + this.config.fault());
			}
			List<TcpProxy> proxies = new ArrayList<>();
			try {
				for (int port : backend.ports()) {
					proxies.add(new TcpProxy(port));
				}
				int count = backend.singleProcess() ? 1 : this.config.clients();
				int threads = backend.singleProcess() ? this.config.threads() * this.config.clients() : this.config.threads();
				for (int i = 1; i <= count; i++) {
					startClient(clients, backend, store, proxies, threads);
				}
				clients.awaitReady();
				long deadline = System.nanoTime() + this.config.duration().toNanos();
				inject(clients, backend, store, proxies, threads, deadline);
				List<String> killed = clients.stopAll();
				for (String name : killed) {
					this.nemesis.record(0, Event.Type.INFO, "kill", name, null, 0, "did not stop in time", 0);
				}
			}
			finally {
				proxies.forEach(TcpProxy::close);
			}
			if (!backend.singleProcess()) {
				Thread.sleep(this.config.ttl().toMillis() + 500);
				recordLeaks(backend);
			}
		}
	}

	private void startClient(ClientProcesses clients, ServerBackend backend, FencedStore store,
			List<TcpProxy> proxies, int threads) throws IOException {
		int number = ++this.nextClient;
		String name = "c" + number;
		List<Integer> ports = (number == 1) ? proxies.stream().map(TcpProxy::port).toList() : backend.ports();
		List<String> args = new ArrayList<>(List.of("backend=" + backend.name(), "endpoints=" + backend.endpoints(ports),
				"store=" + store.uri(), "threads=" + threads, "ttlMs=" + this.config.ttl().toMillis(),
				"seed=" + (this.config.seed() * 101 + number)));
		Fault fault = this.config.fault();
		if ((fault == Fault.CLOCK || fault == Fault.MIXED) && number <= 2) {
			args.add("clockRate=" + ((number == 1) ? "1.009" : "0.991"));
			this.nemesis.record(0, Event.Type.INFO, "fault-start", name, null, 0, "clock", 0);
			this.nemesis.record(0, Event.Type.INFO, "fault-end", name, null, 0, "clock", 0);
		}
		if (this.config.broken() != null) {
			args.add("broken=" + this.config.broken());
		}
		// in Redis runs the last of the first clients is a Spring Boot app using @DistributedLock
		boolean boot = backend.name().equals("redis") && number == this.config.clients()
				&& this.config.broken() == null && Boolean.parseBoolean(System.getProperty("faults.boot", "true"));
		clients.start(boot ? BootClientMain.class : ClientMain.class, name, args);
	}

	private void inject(ClientProcesses clients, ServerBackend backend, FencedStore store, List<TcpProxy> proxies,
			int threads, long deadline) throws Exception {
		long ttl = this.config.ttl().toMillis();
		List<Fault> kinds = new ArrayList<>();
		if (this.config.fault() == Fault.MIXED) {
			for (Fault kind : Fault.values()) {
				if (kind != Fault.NONE && kind != Fault.CLOCK && kind != Fault.MIXED && backend.supports(kind)
						&& !(backend.singleProcess() && (kind == Fault.KILL || kind == Fault.PAUSE))) {
					kinds.add(kind);
				}
			}
		}
		else if (this.config.fault() != Fault.NONE && this.config.fault() != Fault.CLOCK) {
			kinds.add(this.config.fault());
		}
		sleepUntil(Math.min(deadline, System.nanoTime() + Duration.ofMillis(1500).toNanos()));
		while (!kinds.isEmpty()
				&& System.nanoTime() + Duration.ofMillis(3 * ttl).plus(QUIET).toNanos() < deadline) {
			Fault kind = kinds.get(this.random.nextInt(kinds.size()));
			List<String> names = clients.names();
			String target = kind.network() ? "c1"
					: (kind == Fault.KILL || kind == Fault.PAUSE) ? names.get(this.random.nextInt(names.size()))
							: backend.name();
			this.nemesis.record(0, Event.Type.INFO, "fault-start", target, null, 0, kind.name().toLowerCase(), 0);
			String detail = "-";
			switch (kind) {
				case KILL -> {
					clients.kill(target);
					this.nemesis.record(0, Event.Type.INFO, "kill", target, null, 0, "kill -9", 0);
				}
				case PAUSE -> {
					clients.signal(target, "STOP");
					Thread.sleep(ttl * 5 / 2);
					clients.signal(target, "CONT");
				}
				case RESTART, TERMINATE -> detail = backend.inject(kind, this.random);
				case LATENCY, BLACKHOLE, DROP_REPLIES -> {
					TcpProxy.Mode mode = switch (kind) {
						case LATENCY -> TcpProxy.Mode.LATENCY;
						case BLACKHOLE -> TcpProxy.Mode.BLACKHOLE;
						default -> TcpProxy.Mode.DROP_REPLIES;
					};
					proxies.forEach((proxy) -> proxy.set(mode, 300));
					Thread.sleep(2 * ttl);
					proxies.forEach((proxy) -> proxy.set(TcpProxy.Mode.PASS, 0));
					if (kind != Fault.LATENCY) {
						// a real network would have reset the half-dead connections by now
						proxies.forEach(TcpProxy::resetConnections);
					}
				}
				case RESET -> proxies.forEach(TcpProxy::resetConnections);
				default -> throw new IllegalStateException(kind.name());
			}
			this.nemesis.record(0, Event.Type.INFO, "fault-end", target, null, 0, kind.name().toLowerCase(), 0);
			if (kind == Fault.KILL) {
				startClient(clients, backend, store, proxies, threads);
				clients.awaitReady();
			}
			sleepUntil(Math.min(deadline,
					System.nanoTime() + Duration.ofMillis(2 * ttl + this.random.nextInt((int) ttl)).toNanos()));
		}
		sleepUntil(deadline);
	}

	private void recordLeaks(ServerBackend backend) {
		try (BackendClient client = new BackendClient(backend.name(), backend.endpoints(backend.ports()), 2)) {
			LockPage page = client.provider().list(ClientMain.KEY_PREFIX, 0, 1000);
			for (LockInfo info : page.locks()) {
				for (LeaseInfo lease : info.leases()) {
					this.nemesis.record(0, Event.Type.INFO, "leak", info.key(), lease.leaseId(), lease.fencingToken(),
							"owner:" + lease.owner() + ",expires:" + lease.expiresAt(), 0);
				}
			}
		}
	}

	private Result check() throws IOException {
		List<Event> events = readHistories(this.directory);
		long operations = events.stream()
			.filter((e) -> e.type() == Event.Type.OK && (e.op().equals("acquire") || e.op().equals("release")))
			.count();
		Checker.Report report = new Checker(settings(this.config.ttl())).check(events);
		boolean failed = report.failed(!this.config.backend().equals("redlock"), leasesMayVanish(this.config));
		return new Result(this.config, operations, report, failed, this.directory);
	}

	/**
	 * Returns whether a run's faults can wipe live leases from the backend: a Redis restart without
	 * persistence, or a terminated session of PostgreSQL advisory mode (whose locks live in the session).
	 * @param config the run
	 * @return {@code true} if so
	 */
	static boolean leasesMayVanish(Config config) {
		boolean wipes = config.fault() == Fault.MIXED || config.fault() == Fault.RESTART
				|| config.fault() == Fault.TERMINATE;
		return wipes && (config.backend().startsWith("redis") || config.backend().equals("redlock")
				|| config.backend().equals("postgres-advisory"));
	}

	static Checker.Settings settings(Duration ttl) {
		return Replay.settings(ttl);
	}

	static List<Event> readHistories(Path directory) throws IOException {
		return Replay.readHistories(directory);
	}

	private static void sleepUntil(long nanoTime) throws InterruptedException {
		long left = nanoTime - System.nanoTime();
		if (left > 0) {
			Thread.sleep(Duration.ofNanos(left).toMillis() + 1);
		}
	}

	static void deleteRecursively(Path directory) {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
