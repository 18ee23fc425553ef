package dev.locksmith.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The campaigns. {@code ./mvnw verify} runs the short one (fixed seed, Redis and PostgreSQL table mode);
 * {@code -Pfaults} runs the long one over every backend and fault ({@code -Dfaults.seconds} per run,
 * {@code -Dfaults.seed}, {@code -Dfaults.backends}, {@code -Dfaults.faults} override). Histories of failed
 * runs stay in {@code target/faults/}; {@code -Dfaults.replay=<run directory>} checks one again.
 */
class CampaignTests {

	private static final Path OUTPUT = Path.of(System.getProperty("faults.output", "target/faults"));

	private static final long SEED = Long.getLong("faults.seed", 20261130L);

	@Test
	@EnabledIfSystemProperty(named = "faults.campaign", matches = "short")
	void shortCampaignFindsNoViolation() throws Exception {
		List<FaultRun.Result> results = Campaign.run(List.of("redis", "postgres-table"),
				List.of(Fault.KILL, Fault.PAUSE, Fault.RESTART, Fault.TERMINATE, Fault.MIXED),
				config(Duration.ofSeconds(10), 4), OUTPUT);
		assertThat(results).allSatisfy((result) -> assertThat(result.failed())
			.as(result.config() + ": " + result.report().anomalies()).isFalse());
		assertThat(results).allSatisfy((result) -> assertThat(result.operations()).isPositive());
	}

	@Test
	@EnabledIfSystemProperty(named = "faults.campaign", matches = "etcd")
	void etcdCampaignFindsNoViolation() throws Exception {
		EtcdTestServer.assumeInstalled();
		List<FaultRun.Result> results = Campaign.run(List.of("etcd"),
				List.of(Fault.KILL, Fault.PAUSE, Fault.RESTART, Fault.MIXED),
				config(Duration.ofSeconds(Long.getLong("faults.seconds", 10)), 4), OUTPUT);
		System.out.println(Campaign.header());
		results.forEach((result) -> System.out.println(Campaign.row(result)));
		assertThat(results).allSatisfy((result) -> assertThat(result.failed())
			.as(result.config() + ": " + result.report().anomalies()).isFalse());
		assertThat(results).allSatisfy((result) -> assertThat(result.operations()).isPositive());
	}

	@Test
	@EnabledIfSystemProperty(named = "faults.campaign", matches = "long")
	void longCampaign() throws Exception {
		List<String> backends = List.of(
				System.getProperty("faults.backends", "memory,redis,postgres-table,postgres-advisory,redlock,etcd").split(","));
		List<Fault> faults = List.of(System.getProperty("faults.faults", "none,kill,pause,restart,terminate,latency,"
				+ "blackhole,drop-replies,reset,clock,mixed").split(",")).stream().map(Fault::of).toList();
		List<FaultRun.Result> results = Campaign.run(backends, faults,
				config(Duration.ofSeconds(Long.getLong("faults.seconds", 30)), 5), OUTPUT);
		System.out.println(Campaign.header());
		results.forEach((result) -> System.out.println(Campaign.row(result)));
	}

	@Test
	@EnabledIfSystemProperty(named = "faults.replay", matches = ".+")
	void replay() throws Exception {
		Path directory = Path.of(System.getProperty("faults.replay"));
		Checker.Report report = new Checker(FaultRun.settings(Duration.ofMillis(Long.getLong("faults.ttlMs", 1500))))
			.check(FaultRun.readHistories(directory));
		System.out.println(report);
		report.anomalies().forEach(System.out::println);
	}

	private static FaultRun.Config config(Duration duration, int clients) {
		return new FaultRun.Config("-", Fault.NONE, SEED, Integer.getInteger("faults.clients", clients),
				Integer.getInteger("faults.threads", 3), Duration.ofMillis(Long.getLong("faults.ttlMs", 1500)), duration,
				null);
	}

}
