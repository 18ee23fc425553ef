package dev.locksmith.sample;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.client.RestClient;

import dev.locksmith.leader.LeaderElection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample's leader-only job runs on the leader, and leadership shows in the actuator.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "sample.report.interval=1h")
class LeaderJobTests {

	private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
	};

	@LocalServerPort
	private int port;

	@Autowired
	private LeaderElection election;

	@Autowired
	private IndexRebuildJob job;

	@Test
	@SuppressWarnings("unchecked")
	void theLeaderRunsTheJobAndTheActuatorShowsLeadership() {
		await().atMost(Duration.ofSeconds(10)).until(this.election::isLeader);
		long term = this.election.leadership().orElseThrow().term();
		this.job.rebuild();
		assertThat(this.job.runs()).isPositive();
		assertThat(this.job.lastTerm()).isEqualTo(term);

		RestClient http = RestClient.create("http://localhost:" + this.port);
		Map<String, Object> locks = http.get().uri("/actuator/locks").retrieve().body(JSON);
		assertThat((List<Map<String, Object>>) locks.get("leaders")).singleElement().satisfies((leader) -> {
			assertThat(leader).containsEntry("name", "locksmith-sample").containsEntry("leader", true);
			assertThat(((Number) leader.get("term")).longValue()).isEqualTo(term);
		});
		Map<String, Object> health = http.get().uri("/actuator/health").retrieve().body(JSON);
		Map<String, Object> leaderHealth = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
			.get("locksmithLeader");
		assertThat(leaderHealth).containsEntry("status", "UP");
		assertThat((Map<String, Object>) ((Map<String, Object>) leaderHealth.get("details")).get("locksmith-sample"))
			.containsEntry("leader", true);
	}

}
