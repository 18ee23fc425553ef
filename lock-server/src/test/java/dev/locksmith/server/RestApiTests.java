package dev.locksmith.server;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LockHandle;
import dev.locksmith.MutexService;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The REST API over real HTTP: the original document's curl flows, then the additions.
 */
class RestApiTests extends LockServerTestSupport {

	@Autowired
	MutexService applicationMutex;

	@Test
	void documentFlowCreateConflictGetListUnlock() {
		// curl -X POST .../lock -H "Content-Type: application/json" -d '{"service": ..., "who": ...}'
		Reply created = post("/api/v1alpha1/lock", lockBody("production-deployment", "ci-pipeline-123"));
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");
		assertThat(id).isNotBlank();
		assertThat(created.text("service")).isEqualTo("production-deployment");
		assertThat(created.text("who")).isEqualTo("ci-pipeline-123");
		assertThat(created.text("createdAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

		// a second pipeline: 409, and jq -r '.id' gives null
		Reply conflict = post("/api/v1alpha1/lock", lockBody("production-deployment", "other-pipeline"));
		assertThat(conflict.status()).isEqualTo(409);
		assertThat(conflict.json().has("id")).isFalse();
		assertThat(conflict.text("error")).isEqualTo("lock already exists");
		JsonNode existing = conflict.json().get("existingLock");
		assertThat(existing.get("id").asString()).isEqualTo(id);
		assertThat(existing.get("who").asString()).isEqualTo("ci-pipeline-123");
		assertThat(existing.get("createdAt").asString()).isEqualTo(created.text("createdAt"));

		Reply fetched = get("/api/v1alpha1/lock/" + id);
		assertThat(fetched.status()).isEqualTo(200);
		assertThat(fetched.text("id")).isEqualTo(id);
		assertThat(fetched.text("service")).isEqualTo("production-deployment");
		assertThat(fetched.text("who")).isEqualTo("ci-pipeline-123");
		assertThat(fetched.text("createdAt")).isEqualTo(created.text("createdAt"));

		Reply list = get("/api/v1alpha1/locks/list?per_page=10&page=1");
		assertThat(list.status()).isEqualTo(200);
		assertThat(list.json().get("total").asLong()).isEqualTo(1);
		assertThat(list.json().get("page").asInt()).isEqualTo(1);
		assertThat(list.json().get("perPage").asInt()).isEqualTo(10);
		assertThat(list.json().get("locks")).hasSize(1);
		assertThat(list.json().get("locks").get(0).get("id").asString()).isEqualTo(id);
		assertThat(list.json().get("locks").get(0).get("who").asString()).isEqualTo("ci-pipeline-123");

		Reply unlocked = get("/api/v1alpha1/unlock/" + id);
		assertThat(unlocked.status()).isEqualTo(200);
		assertThat(unlocked.json().get("success").asBoolean()).isTrue();
		assertThat(unlocked.text("message")).isNotBlank();

		assertThat(get("/api/v1alpha1/lock/" + id).status()).isEqualTo(404);
		assertThat(get("/api/v1alpha1/unlock/" + id).status()).isEqualTo(404);
		assertThat(get("/api/v1alpha1/locks/list").json().get("total").asLong()).isZero();

		Reply again = post("/api/v1alpha1/lock", lockBody("production-deployment", "other-pipeline"));
		assertThat(again.status()).isEqualTo(200);
		assertThat(again.text("id")).isNotEqualTo(id);
		assertThat(again.json().get("fencingToken").asLong()).isGreaterThan(created.json().get("fencingToken").asLong());
	}

	@Test
	void theLockPageIsOffUnlessEnabled() {
		assertThat(LockPageTests.html(request("/locksmith/locks").GET()).statusCode()).isEqualTo(404);
		assertThat(LockPageTests.html(request("/locksmith/locks/rows").GET()).statusCode()).isEqualTo(404);
	}

	@Test
	void listPagesThroughLocksOrderedByService() {
		for (String service : new String[] { "svc-e", "svc-a", "svc-c", "svc-b", "svc-d" }) {
			assertThat(post("/api/v1alpha1/lock", lockBody(service, "pager")).status()).isEqualTo(200);
		}
		Reply first = get("/api/v1alpha1/locks/list?per_page=2&page=1");
		Reply second = get("/api/v1alpha1/locks/list?per_page=2&page=2");
		Reply third = get("/api/v1alpha1/locks/list?per_page=2&page=3");
		Reply beyond = get("/api/v1alpha1/locks/list?per_page=2&page=4");
		assertThat(services(first)).containsExactly("svc-a", "svc-b");
		assertThat(services(second)).containsExactly("svc-c", "svc-d");
		assertThat(services(third)).containsExactly("svc-e");
		assertThat(services(beyond)).isEmpty();
		assertThat(beyond.json().get("total").asLong()).isEqualTo(5);
		assertThat(second.json().get("page").asInt()).isEqualTo(2);
		assertThat(second.json().get("perPage").asInt()).isEqualTo(2);
		// "get all locks": per_page without page
		assertThat(services(get("/api/v1alpha1/locks/list?per_page=100"))).hasSize(5);
	}

	@Test
	void listShowsOnlyServiceLocksNotTheApplicationsOwn() {
		try (LockHandle own = this.applicationMutex.acquire("job:42")) {
			assertThat(own.isValid()).isTrue();
			assertThat(post("/api/v1alpha1/lock", lockBody("svc-only", "me")).status()).isEqualTo(200);
			Reply list = get("/api/v1alpha1/locks/list");
			assertThat(services(list)).containsExactly("svc-only");
			assertThat(list.json().get("total").asLong()).isEqualTo(1);
		}
	}

	@Test
	void createWithoutJsonContentTypeWorksLikeCurlDashD() {
		Reply created = send(request("/api/v1alpha1/lock")
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(lockBody("form-posted", "curl"))));
		assertThat(created.status()).isEqualTo(200);
		assertThat(created.text("service")).isEqualTo("form-posted");
	}

	@Test
	void defaultTtlAppliesWhenNoneIsGiven() {
		Reply created = post("/api/v1alpha1/lock", lockBody("default-ttl", "me"));
		Duration ttl = Duration.between(Instant.parse(created.text("createdAt")), Instant.parse(created.text("expiresAt")));
		// locksmith.server.default-ttl=10m in this test context (whole seconds in JSON)
		assertThat(ttl).isBetween(Duration.ofSeconds(599), Duration.ofSeconds(601));
	}

	@Test
	void lockExpiresAfterItsTtl() {
		Reply created = post("/api/v1alpha1/lock", "{\"service\": \"short\", \"who\": \"me\", \"ttl\": \"300ms\"}");
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");
		assertThat(post("/api/v1alpha1/lock", lockBody("short", "next")).status()).isEqualTo(409);
		await().atMost(Duration.ofSeconds(5)).until(() -> get("/api/v1alpha1/lock/" + id).status() == 404);
		Reply next = post("/api/v1alpha1/lock", lockBody("short", "next"));
		assertThat(next.status()).isEqualTo(200);
		assertThat(get("/api/v1alpha1/unlock/" + id).status()).as("the expired lock's id is gone").isEqualTo(404);
		assertThat(get("/api/v1alpha1/lock/" + next.text("id")).status()).as("and did not remove the next one")
			.isEqualTo(200);
	}

	@Test
	void ttlAsNumberOfSeconds() {
		Reply created = post("/api/v1alpha1/lock", "{\"service\": \"numeric\", \"who\": \"me\", \"ttl\": 120}");
		Duration ttl = Duration.between(Instant.parse(created.text("createdAt")), Instant.parse(created.text("expiresAt")));
		assertThat(ttl).isBetween(Duration.ofSeconds(119), Duration.ofSeconds(121));
	}

	@Test
	void ttlAsABareNumberStringMeansSecondsAsInTheCli() {
		Reply created = post("/api/v1alpha1/lock", "{\"service\": \"bare\", \"who\": \"me\", \"ttl\": \"120\"}");
		assertThat(created.status()).isEqualTo(200);
		Duration ttl = Duration.between(Instant.parse(created.text("createdAt")), Instant.parse(created.text("expiresAt")));
		assertThat(ttl).isBetween(Duration.ofSeconds(119), Duration.ofSeconds(121));
	}

	@Test
	void waitingCreateGetsTheLockWhenTheHolderReleases() throws Exception {
		Reply first = post("/api/v1alpha1/lock", lockBody("queue", "first"));
		CompletableFuture<Reply> waiter = CompletableFuture.supplyAsync(
				() -> post("/api/v1alpha1/lock", "{\"service\": \"queue\", \"who\": \"second\", \"wait\": \"8s\"}"));
		assertThat(waiter).isNotDone();
		assertThat(get("/api/v1alpha1/unlock/" + first.text("id")).status()).isEqualTo(200);
		Reply second = waiter.get(10, TimeUnit.SECONDS);
		assertThat(second.status()).isEqualTo(200);
		assertThat(second.text("who")).isEqualTo("second");
		assertThat(second.json().get("fencingToken").asLong()).isGreaterThan(first.json().get("fencingToken").asLong());
	}

	@Test
	void waitThatRunsOutIsAConflict() {
		Reply first = post("/api/v1alpha1/lock", lockBody("busy", "first"));
		Reply second = post("/api/v1alpha1/lock", "{\"service\": \"busy\", \"who\": \"second\", \"wait\": \"300ms\"}");
		assertThat(second.status()).isEqualTo(409);
		assertThat(second.json().get("existingLock").get("id").asString()).isEqualTo(first.text("id"));
	}

	@Test
	void extendMovesTheExpiry() {
		Reply created = post("/api/v1alpha1/lock", "{\"service\": \"long-job\", \"who\": \"me\", \"ttl\": \"2s\"}");
		String id = created.text("id");
		Reply extended = post("/api/v1alpha1/lock/" + id + "/extend", "{\"ttl\": \"1h\"}");
		assertThat(extended.status()).isEqualTo(200);
		assertThat(extended.text("id")).isEqualTo(id);
		Duration ttl = Duration.between(Instant.parse(created.text("createdAt")), Instant.parse(extended.text("expiresAt")));
		assertThat(ttl).isGreaterThan(Duration.ofMinutes(59));
		assertThat(get("/api/v1alpha1/lock/" + id).text("expiresAt")).isEqualTo(extended.text("expiresAt"));

		Reply defaultExtend = send(request("/api/v1alpha1/lock/" + id + "/extend").POST(HttpRequest.BodyPublishers.noBody()));
		assertThat(defaultExtend.status()).isEqualTo(200);

		assertThat(delete("/api/v1alpha1/lock/" + id).status()).isEqualTo(200);
		assertThat(post("/api/v1alpha1/lock/" + id + "/extend", "{\"ttl\": \"1h\"}").status()).isEqualTo(404);
	}

	@Test
	void deleteReleasesLikeUnlock() {
		String id = post("/api/v1alpha1/lock", lockBody("deleted", "me")).text("id");
		Reply deleted = delete("/api/v1alpha1/lock/" + id);
		assertThat(deleted.status()).isEqualTo(200);
		assertThat(deleted.json().get("success").asBoolean()).isTrue();
		assertThat(delete("/api/v1alpha1/lock/" + id).status()).isEqualTo(404);
		assertThat(heldCount()).isZero();
	}

	@Test
	void serviceNamesWithAnyCharactersRoundTripThroughTheId() {
		String service = "config update/prod ü #1";
		Reply created = post("/api/v1alpha1/lock", lockBody(service, "admin-ä"));
		assertThat(created.status()).isEqualTo(200);
		Reply fetched = get("/api/v1alpha1/lock/" + created.text("id"));
		assertThat(fetched.text("service")).isEqualTo(service);
		assertThat(fetched.text("who")).isEqualTo("admin-ä");
	}

	private static List<String> services(Reply list) {
		List<String> services = new ArrayList<>();
		for (JsonNode lock : list.json().get("locks")) {
			services.add(lock.get("service").asString());
		}
		return services;
	}

}
