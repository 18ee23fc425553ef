package dev.locksmith.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.RestClient;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Grafana dashboard in {@code docs/grafana} queries only series that {@code /actuator/prometheus}
 * exposes once locks have been taken, renewed and lost, and a leader elected.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "sample.report.interval=1h")
class PrometheusDashboardTests {

	private static final Path DASHBOARD = Path.of("..", "docs", "grafana", "locksmith-dashboard.json");

	private static final Pattern METRIC = Pattern.compile("\\blocksmith_[a-z_]+");

	@LocalServerPort
	private int port;

	@Autowired
	private MutexService locks;

	@Autowired
	private MeterRegistry meters;

	@Test
	void everySeriesTheDashboardQueriesIsScraped() throws IOException {
		Set<String> queried = queriedMetrics();
		assertThat(queried).contains("locksmith_lock_acquire_seconds_count", "locksmith_lock_acquire_seconds_bucket",
				"locksmith_lock_held_active_seconds_count", "locksmith_lock_lost_total",
				"locksmith_lock_renewals_total", "locksmith_leader", "locksmith_leader_transitions_total");

		try (LockHandle held = this.locks.acquire("dashboard:held",
				LockOptions.ttl(Duration.ofSeconds(30)).withAutoExtend(true).withName("dashboard-held"))) {
			// a lease renewed, then taken away while held: the holder's next renewal finds it lost
			LockHandle lost = this.locks.acquire("dashboard:lost",
					LockOptions.ttl(Duration.ofMillis(600)).withAutoExtend(true).withName("dashboard-lost"));
			await().atMost(Duration.ofSeconds(10))
				.until(() -> this.meters.find("locksmith.lock.renewals").tag("name", "dashboard-lost").counter() != null);
			assertThat(this.locks.forceRelease("dashboard:lost")).isTrue();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> this.meters.find("locksmith.lock.lost").tag("name", "dashboard-lost").counter() != null);
			assertThatThrownBy(lost::close).as("closing a lost lease reports the loss")
				.isInstanceOf(LockLostException.class);

			String scrape = RestClient.create("http://localhost:" + this.port)
				.get()
				.uri("/actuator/prometheus")
				.retrieve()
				.body(String.class);
			Set<String> scraped = new TreeSet<>();
			for (String line : scrape.split("\n")) {
				Matcher name = Pattern.compile("^(locksmith_[a-z_]+)[{ ]").matcher(line);
				if (name.find()) {
					scraped.add(name.group(1));
				}
			}
			assertThat(scraped).as("series in /actuator/prometheus").containsAll(queried);
			assertThat(scrape).contains("name=\"dashboard-held\"");
		}
	}

	/** The metric names in every query and variable of the dashboard. */
	private static Set<String> queriedMetrics() throws IOException {
		JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
		Set<String> names = new TreeSet<>();
		for (JsonNode expr : dashboard.findValues("expr")) {
			collect(expr.asString(), names);
		}
		for (JsonNode variable : dashboard.get("templating").get("list")) {
			JsonNode definition = variable.get("definition");
			if (definition != null) {
				collect(definition.asString(), names);
			}
		}
		return names;
	}

	private static void collect(String query, Set<String> names) {
		Matcher matcher = METRIC.matcher(query);
		while (matcher.find()) {
			names.add(matcher.group());
		}
	}

}
