package dev.locksmith.sample;

import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.client.RestClient;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "sample.report.interval=1h")
class SampleApplicationTests {

	private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
	};

	@LocalServerPort
	private int port;

	@Autowired
	private MutexService locks;

	@Autowired
	private MigrationJob migrations;

	@Autowired
	private MeterRegistry meters;

	private RestClient http() {
		return RestClient.create("http://localhost:" + this.port);
	}

	@Test
	void refreshesTokensUnderTheLockWithIncreasingFencingTokens() {
		Map<String, Object> first = http().post().uri("/users/alice/token").retrieve().body(JSON);
		Map<String, Object> second = http().post().uri("/users/alice/token").retrieve().body(JSON);
		assertThat(((Number) first.get("fencingToken")).longValue()).isPositive();
		assertThat(((Number) second.get("fencingToken")).longValue())
			.isGreaterThan(((Number) first.get("fencingToken")).longValue());
		assertThat(this.locks.isLocked("token:alice")).isFalse();
	}

	@Test
	void migrationRanOnceAtStartupUnderItsLock() {
		assertThat(this.meters.get("locksmith.lock.acquire").tags("name", "migration").timer().count())
			.isGreaterThanOrEqualTo(1);
		assertThat(this.migrations.migrate("v2")).as("already in the ledger").isFalse();
	}

	@Test
	@SuppressWarnings("unchecked")
	void locksEndpointListsHeldLeasesAndInspectsKeys() {
		try (LockHandle held = this.locks.acquire("job:7", LockOptions.defaults().withName("jobs"))) {
			Map<String, Object> body = http().get().uri("/actuator/locks").retrieve().body(JSON);
			assertThat(body).containsEntry("provider", "memory").containsKey("owner");
			List<Map<String, Object>> leases = (List<Map<String, Object>>) body.get("locks");
			assertThat(leases).anySatisfy((lease) -> {
				assertThat(lease).containsEntry("key", "job:7").containsEntry("name", "jobs");
				assertThat(((Number) lease.get("token")).longValue()).isEqualTo(held.fencingToken());
				assertThat(lease).containsKeys("acquiredAt", "expiresAt", "renewals");
			});
			Map<String, Object> inspected = http().get().uri("/actuator/locks/job:7").retrieve().body(JSON);
			assertThat(inspected).containsEntry("key", "job:7").containsEntry("locked", true);
		}
		try (LockHandle held = this.locks.acquire("reports/2026/11")) {
			Map<String, Object> inspected = http().get().uri("/actuator/locks/reports/2026/11").retrieve().body(JSON);
			assertThat(inspected).containsEntry("key", "reports/2026/11").containsEntry("locked", true);
		}
	}

	@Test
	void forceReleaseIsOffByDefault() {
		HttpStatusCode status = http().delete()
			.uri("/actuator/locks/job:8")
			.exchange((request, response) -> response.getStatusCode());
		assertThat(status.is4xxClientError()).isTrue();
	}

	@Test
	@SuppressWarnings("unchecked")
	void metricsShowTheLockMetersTaggedByName() {
		http().post().uri("/accounts/a1/deposit?amount=5").retrieve().body(JSON);
		http().post().uri("/users/bob/token").retrieve().body(JSON);
		Map<String, Object> acquire = http().get()
			.uri("/actuator/metrics/locksmith.lock.acquire?tag=name:token-refresh")
			.retrieve()
			.body(JSON);
		List<Map<String, Object>> measurements = (List<Map<String, Object>>) acquire.get("measurements");
		assertThat(measurements).anySatisfy((measurement) -> {
			assertThat(measurement).containsEntry("statistic", "COUNT");
			assertThat(((Number) measurement.get("value")).doubleValue()).isGreaterThanOrEqualTo(1);
		});
		List<Map<String, Object>> tags = (List<Map<String, Object>>) acquire.get("availableTags");
		assertThat(tags).extracting((tag) -> tag.get("tag")).contains("provider", "outcome");
		Map<String, Object> names = http().get().uri("/actuator/metrics").retrieve().body(JSON);
		assertThat((List<String>) names.get("names")).contains("locksmith.lock.acquire", "locksmith.lock.held",
				"locksmith.lock.active");
	}

	@Test
	@SuppressWarnings("unchecked")
	void healthShowsTheLockProvider() {
		Map<String, Object> health = http().get().uri("/actuator/health").retrieve().body(JSON);
		assertThat(health).containsEntry("status", "UP");
		Map<String, Object> components = (Map<String, Object>) health.get("components");
		assertThat((Map<String, Object>) components.get("locksmith")).containsEntry("status", "UP");
	}

	@Test
	@SuppressWarnings("unchecked")
	void reportSkipsWhileAnotherInstanceHoldsItsLock() {
		int before = ((Number) http().post().uri("/reports").retrieve().body(JSON).get("runs")).intValue();
		// minHold keeps the report lock after the run, so an immediate second run is skipped
		int after = ((Number) http().post().uri("/reports").retrieve().body(JSON).get("runs")).intValue();
		assertThat(after).isEqualTo(before);
	}

}
