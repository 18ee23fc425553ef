package dev.locksmith.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.RawLettuceFloor;
import dev.locksmith.benchmarks.contender.RedissonContender;
import dev.locksmith.benchmarks.jmh.JmhRunner;
import dev.locksmith.benchmarks.report.Results;
import dev.locksmith.benchmarks.scenario.CommandCounter;
import dev.locksmith.benchmarks.scenario.ManyProcesses;
import dev.locksmith.benchmarks.scenario.PostgresStatementCounter;
import dev.locksmith.benchmarks.scenario.RedisMonitorCounter;
import dev.locksmith.benchmarks.scenario.RenewalCost;
import dev.locksmith.benchmarks.scenario.Scenarios;
import dev.locksmith.benchmarks.scenario.Settings;

/**
 * The benchmark command. Starts Redis and PostgreSQL, runs S1–S5 for every contender (alternating the
 * order every repetition), then the JMH micro-benchmarks, prints markdown tables and writes CSV and
 * markdown files.
 *
 * <p>Options: {@code --quick} (shorter runs), {@code --reps N}, {@code --no-jmh}, {@code --out DIR}
 * (default {@code lock-benchmarks/target/benchmark-results}).
 */
public final class BenchmarkMain {

	private BenchmarkMain() {
	}

	/**
	 * Runs the benchmark.
	 * @param args command-line options
	 * @throws Exception if the servers cannot be started or the results cannot be written
	 */
	public static void main(String[] args) {
		int status;
		try {
			status = run(args);
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			status = 1;
		}
		// Client libraries leave non-daemon threads behind; never hang after the run.
		System.exit(status);
	}

	private static int run(String[] args) throws Exception {
		Settings settings = Settings.defaults();
		boolean jmh = true;
		Set<String> only = Set.of("S1", "S2", "S3", "S4", "S5");
		Path out = Path.of("lock-benchmarks", "target", "benchmark-results");
		List<Integer> processes = List.of(4, 16);
		Duration s6Measure = Duration.ofSeconds(5);
		boolean durablePostgres = false;
		Set<String> s6Contenders = Set.of();
		for (int i = 0; i < args.length; i++) {
			switch (args[i]) {
				case "--quick" -> settings = Settings.quick();
				case "--reps" -> settings = withReps(settings, Integer.parseInt(args[++i]));
				case "--no-jmh" -> jmh = false;
				case "--out" -> out = Path.of(args[++i]);
				case "--scenarios" -> only = Set.of(args[++i].toUpperCase(java.util.Locale.ROOT).split(","));
				case "--processes" -> processes = java.util.Arrays.stream(args[++i].split(","))
					.map(Integer::valueOf)
					.toList();
				case "--s6-seconds" -> s6Measure = Duration.ofSeconds(Long.parseLong(args[++i]));
				case "--durable-postgres" -> durablePostgres = true;
				case "--s6-contenders" -> s6Contenders = Set.of(args[++i].split(";"));
				default -> throw new IllegalArgumentException("BenchmarkMain: unknown option '" + args[i]
						+ "' (known: --quick, --reps N, --no-jmh, --out DIR, --scenarios S1,S2,S3,S4,S5,S6, "
						+ "--processes 4,16, --s6-seconds N, --s6-contenders 'NAME;NAME', --durable-postgres)");
			}
		}
		long started = System.nanoTime();
		Results results = new Results();
		List<String> order = new ArrayList<>();
		String header = header() + (durablePostgres ? "; PostgreSQL with fsync and synchronous_commit on"
				: "; PostgreSQL with fsync and synchronous_commit off");
		System.out.println(header);
		try (BenchmarkServers servers = BenchmarkServers.start(durablePostgres)) {
			Contenders factory = new Contenders(servers);
			factory.createSchemas();
			LocksmithContenders locksmith = new LocksmithContenders(factory);
			locksmith.createSchema();
			List<Contender> contenders = new ArrayList<>(locksmith.create(results));
			contenders.addAll(factory.competitors());
			// A second instance of every contender, with its own clients and pools: the other "node" in S3/S4.
			List<Contender> peers = new ArrayList<>(locksmith.create(new Results()));
			peers.addAll(factory.competitors());
			// Table rows: every known contender (one left out of this build shows its note), then any other.
			order.addAll(ContenderNames.ALL);
			contenders.stream().map(Contender::name).filter((n) -> !order.contains(n)).forEach(order::add);
			List<Contender> cluster = clusterContenders(servers, locksmith);
			try {
				runScenarios(contenders, peers, settings, results, only);
				runClusterScenarios(cluster, settings, results, only);
			}
			finally {
				peers.forEach(Contender::close);
				contenders.forEach(Contender::close);
				cluster.forEach(Contender::close);
			}
			if (only.contains("S5")) {
				runRenewal(servers, factory, locksmith, settings, results);
			}
			if (only.contains("S6")) {
				runManyProcesses(new ManyProcessContenders(servers, factory), settings, processes, s6Measure,
						s6Contenders, results);
			}
		}
		double[] jmhResults = { Double.NaN, Double.NaN };
		if (jmh) {
			jmhResults = JmhRunner.run(results, settings == Settings.quick());
		}
		String report = report(header, results, order, jmhResults, settings);
		System.out.println();
		System.out.println(report);
		Files.createDirectories(out);
		results.writeCsv(out.resolve("results.csv"));
		Files.writeString(out.resolve("results.md"), report);
		System.out.printf("Wrote %s and %s in %.0f s%n", out.resolve("results.csv"), out.resolve("results.md"),
				(System.nanoTime() - started) / 1e9);
		return results.violations().isEmpty() ? 0 : 2;
	}

	private static Settings withReps(Settings s, int reps) {
		if (reps < 1) {
			throw new IllegalArgumentException("BenchmarkMain: --reps must be at least 1, was " + reps);
		}
		return new Settings(reps, s.warmup(), s.measure(), s.s2Threads(), s.s3Threads(), s.handoffs(),
				s.waiterParked(), s.leaseCounts(), s.renewalTtl());
	}

	private static void runScenarios(List<Contender> contenders, List<Contender> peers, Settings settings,
			Results results, Set<String> only) {
		Scenarios scenarios = new Scenarios(settings, results);
		Results discard = new Results();
		Scenarios warmup = new Scenarios(settings, discard);
		System.out.println("Warm-up pass over every contender");
		if (only.stream().noneMatch((s) -> s.matches("S[1-4]"))) {
			return;
		}
		for (Contender contender : contenders) {
			attempt(discard, "S1", contender, () -> warmup.s1(contender, 0));
		}
		for (int rep = 1; rep <= settings.repetitions(); rep++) {
			List<Contender> round = new ArrayList<>(contenders);
			Collections.rotate(round, -(rep - 1) * Math.max(1, contenders.size() / settings.repetitions()));
			int r = rep;
			System.out.printf("Repetition %d/%d%n", rep, settings.repetitions());
			for (Contender c : round) {
				if (only.contains("S1")) {
					attempt(results, "S1", c, () -> scenarios.s1(c, r));
				}
			}
			for (Contender c : round) {
				if (only.contains("S2")) {
					attempt(results, "S2", c, () -> scenarios.s2(c, r));
				}
			}
			for (int threads : only.contains("S3") ? settings.s3Threads() : List.<Integer>of()) {
				for (Contender c : round) {
					if (!c.canWait()) {
						results.note("S3 " + threads + "t", c.name(), "n/a (cannot wait)");
						continue;
					}
					attempt(results, "S3 " + threads + "t", c,
							() -> scenarios.s3(c, peerOf(c, contenders, peers), threads, r));
				}
			}
			for (Contender c : only.contains("S4") ? round : List.<Contender>of()) {
				if (!c.canWait()) {
					results.note("S4", c.name(), "n/a (cannot wait)");
					continue;
				}
				attempt(results, "S4", c, () -> scenarios.s4(c, peerOf(c, contenders, peers), r));
			}
		}
	}

	/**
	 * Locksmith, Redisson and the raw floor on the local Redis Cluster, when {@code redis-server} is on the
	 * {@code PATH} (else none, and the tables have no cluster rows).
	 */
	private static List<Contender> clusterContenders(BenchmarkServers servers, LocksmithContenders locksmith) {
		List<String> nodes = servers.redisClusterUris();
		if (nodes.isEmpty()) {
			System.out.println("No redis-server on the PATH: no Redis Cluster rows");
			return List.of();
		}
		return List.of(locksmith.redisCluster(nodes), RedissonContender.cluster(nodes),
				RawLettuceFloor.cluster(nodes));
	}

	/**
	 * S1 and S2 for the Redis Cluster contenders, alternating like the others (after them in each
	 * repetition, so they do not change the single-server tables' order).
	 */
	private static void runClusterScenarios(List<Contender> cluster, Settings settings, Results results,
			Set<String> only) {
		if (cluster.isEmpty() || !(only.contains("S1") || only.contains("S2"))) {
			return;
		}
		Scenarios scenarios = new Scenarios(settings, results);
		Scenarios warmup = new Scenarios(settings, new Results());
		for (Contender contender : cluster) {
			attempt(new Results(), "S1", contender, () -> warmup.s1(contender, 0));
		}
		for (int rep = 1; rep <= settings.repetitions(); rep++) {
			List<Contender> round = new ArrayList<>(cluster);
			Collections.rotate(round, -(rep - 1));
			int r = rep;
			System.out.printf("Redis Cluster repetition %d/%d%n", rep, settings.repetitions());
			for (Contender c : round) {
				if (only.contains("S1")) {
					attempt(results, "S1", c, () -> scenarios.s1(c, r));
				}
				if (only.contains("S2")) {
					attempt(results, "S2", c, () -> scenarios.s2(c, r));
				}
			}
		}
	}

	private static Contender peerOf(Contender contender, List<Contender> contenders, List<Contender> peers) {
		return peers.get(contenders.indexOf(contender));
	}

	private static void runRenewal(BenchmarkServers servers, Contenders factory, LocksmithContenders locksmith,
			Settings settings, Results results) {
		System.out.println("S5: renewal cost");
		List<Contender> renewing = new ArrayList<>(locksmith.renewing(settings.renewalTtl()));
		renewing.add(new RedissonContender(servers.redisUri(), settings.renewalTtl()));
		CommandCounter redis = new RedisMonitorCounter(servers.redisPort());
		CommandCounter postgres = new PostgresStatementCounter(factory.admin());
		RenewalCost s5 = new RenewalCost(settings, results);
		try {
			for (int leases : settings.leaseCounts()) {
				for (Contender c : renewing) {
					CommandCounter counter = "redis".equals(c.backend()) ? redis : postgres;
					attempt(results, "S5", c, () -> s5.run(c, counter, leases, 1));
				}
			}
		}
		finally {
			renewing.forEach(Contender::close);
		}
	}

	private static void runManyProcesses(ManyProcessContenders factory, Settings settings, List<Integer> processes,
			Duration measure, Set<String> only, Results results) {
		ManyProcesses s6 = new ManyProcesses(results);
		List<ManyProcessContenders.Named> all = new ArrayList<>(factory.all());
		if (!only.isEmpty()) {
			List<String> known = all.stream().map(ManyProcessContenders.Named::name).toList();
			only.stream().filter((name) -> !known.contains(name)).findFirst().ifPresent((name) -> {
				throw new IllegalArgumentException(
						"BenchmarkMain: --s6-contenders names unknown contender '" + name + "' (known: " + known + ")");
			});
			all.removeIf((named) -> !only.contains(named.name()));
		}
		for (int rep = 1; rep <= settings.repetitions(); rep++) {
			int r = rep;
			System.out.printf("S6 repetition %d/%d%n", rep, settings.repetitions());
			for (int n : processes) {
				for (ManyProcessContenders.Named named : all) {
					List<Contender> instances = new ArrayList<>();
					try {
						for (int i = 0; i < n; i++) {
							instances.add(named.instance().get());
						}
						attempt(results, ManyProcesses.id(n), named.name(),
								() -> s6.run(named.name(), instances, Duration.ofSeconds(1), measure, r));
					}
					catch (RuntimeException ex) {
						System.err.println("S6 could not build " + named.name() + ": " + ex);
						results.note(ManyProcesses.id(n), named.name(), "error: " + ex.getClass().getSimpleName());
					}
					finally {
						instances.forEach(Contender::close);
					}
				}
			}
			Collections.rotate(all, -1);
		}
	}

	private static void attempt(Results results, String scenario, String name, Run run) {
		System.out.printf("  %-6s %s%n", scenario, name);
		System.gc();
		try {
			run.run();
		}
		catch (Exception ex) {
			System.err.println(scenario + " failed for " + name + ": " + ex);
			ex.printStackTrace();
			results.note(scenario, name, "error: " + ex.getClass().getSimpleName());
		}
	}

	private static void attempt(Results results, String scenario, Contender contender, Run run) {
		System.out.printf("  %-6s %s%n", scenario, contender.name());
		System.gc();
		try {
			run.run();
		}
		catch (Exception ex) {
			System.err.println(scenario + " failed for " + contender.name() + ": " + ex);
			ex.printStackTrace();
			results.note(scenario, contender.name(), "error: " + ex.getClass().getSimpleName());
		}
	}

	private static String header() {
		String cpu = "unknown CPU";
		try {
			cpu = Files.readAllLines(Path.of("/proc/cpuinfo"))
				.stream()
				.filter((line) -> line.startsWith("model name"))
				.map((line) -> line.substring(line.indexOf(':') + 1).trim())
				.findFirst()
				.orElse(cpu);
		}
		catch (IOException | RuntimeException ex) {
			// not Linux
		}
		return "Run " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))
				+ " on " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
				+ Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB heap, Java "
				+ System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
				+ System.getProperty("os.arch") + "; JVM args " + ManagementFactory.getRuntimeMXBean().getInputArguments();
	}

	private static String report(String header, Results results, List<String> order, double[] jmh, Settings s) {
		List<String> s5Order = new ArrayList<>(order);
		StringBuilder out = new StringBuilder();
		out.append(header).append("\n\n");
		out.append(String.format("%d repetitions, contenders alternating; cells are median (min–max) over "
				+ "repetitions; S1–S3 %d ms measured after %d ms warm-up; S4 %d hand-offs per repetition.%n%n",
				s.repetitions(), s.measure().toMillis(), s.warmup().toMillis(), s.handoffs()));
		out.append(results.table("S1", "one thread, fresh key per op, acquire+release", order)).append('\n');
		out.append(results.table("S2", s.s2Threads() + " threads, distinct keys", order)).append('\n');
		for (int threads : s.s3Threads()) {
			out.append(results.table("S3 " + threads + "t", threads + " threads, one key, blocking acquire", order))
				.append('\n');
		}
		out.append(results.table("S4", "hand-off: release returned → waiter holds", order)).append('\n');
		out.append(results.table("S5", "server-counted commands per renewal tick (TTL "
				+ s.renewalTtl().toSeconds() + " s, tick every third)", s5Order)).append('\n');
		Map<String, String> details = results.notes("S5 detail");
		if (!details.isEmpty()) {
			out.append("S5 commands seen in the window (rep 1): ");
			details.forEach((who, what) -> out.append(who).append(": ").append(what).append("; "));
			out.append("\n\n");
		}
		for (String id : results.scenarios()) {
			if (id.startsWith(ManyProcesses.SCENARIO + " ")) {
				out.append(results.table(id, id.substring(3, id.length() - 1)
						+ " processes (own engine, provider and pool each), one key, blocking acquire", order))
					.append('\n');
			}
		}
		out.append(results.table("JMH", "micro-benchmarks (ns/op, 1 fork)", List.of(JmhRunner.MEMORY, JmhRunner.DIRECT,
				JmhRunner.ASPECT))).append('\n');
		out.append("**Goals**\n\n").append(new Goals(results).evaluate(jmh[0], jmh[1])).append('\n');
		return out.toString();
	}

	@FunctionalInterface
	private interface Run {

		void run() throws Exception;

	}

}
