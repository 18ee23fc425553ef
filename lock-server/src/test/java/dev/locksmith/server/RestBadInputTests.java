package dev.locksmith.server;

import java.net.http.HttpRequest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input on every REST endpoint: a JSON error with a clear message (naming the field), the right status,
 * and nothing left locked.
 */
class RestBadInputTests extends LockServerTestSupport {

	@ParameterizedTest
	@ValueSource(strings = { "{\"who\": \"me\"}|service", "{\"service\": \"\", \"who\": \"me\"}|service",
			"{\"service\": \"   \", \"who\": \"me\"}|service", "{\"service\": 42, \"who\": \"me\"}|service",
			"{\"service\": \"bad-input\"}|who", "{\"service\": \"bad-input\", \"who\": \"  \"}|who",
			"{\"service\": \"bad-input\", \"who\": [\"me\"]}|who",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": \"abc\"}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": \"0s\"}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": \"-5s\"}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": -5}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": \"48h\"}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": true}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"ttl\": \"\"}|ttl",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"wait\": \"soon\"}|wait",
			"{\"service\": \"bad-input\", \"who\": \"me\", \"wait\": \"1h\"}|wait",
			"{\"service\": \"bad\\u0000input\", \"who\": \"me\"}|service" })
	void createRejectsBadFieldsNamingThem(String caseText) {
		String body = caseText.substring(0, caseText.lastIndexOf('|'));
		String field = caseText.substring(caseText.lastIndexOf('|') + 1);
		Reply reply = post("/api/v1alpha1/lock", body);
		assertThat(reply.status()).as(body).isEqualTo(400);
		assertThat(reply.text("field")).isEqualTo(field);
		assertThat(reply.text("error")).contains(field);
		assertThat(reply.raw().headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/json"));
		assertThat(heldCount()).isZero();
	}

	@Test
	void createRejectsTooLongNames() {
		Reply reply = post("/api/v1alpha1/lock", lockBody("s".repeat(ServiceLocks.MAX_NAME_LENGTH + 1), "me"));
		assertThat(reply.status()).isEqualTo(400);
		assertThat(reply.text("error")).contains("service").contains("256");
		assertThat(heldCount()).isZero();
	}

	@Test
	void namesAreTrimmedAndNfcNormalisedSoLookAlikesAreOneLock() {
		Reply first = post("/api/v1alpha1/lock", lockBody("deploy", "me"));
		assertThat(first.status()).isEqualTo(200);
		Reply trailingSpace = post("/api/v1alpha1/lock", lockBody("deploy ", "other"));
		assertThat(trailingSpace.status()).as("'deploy ' is the lock 'deploy'").isEqualTo(409);
		assertThat(trailingSpace.json().get("existingLock").get("id").asString()).isEqualTo(first.text("id"));
		Reply padded = post("/api/v1alpha1/lock", lockBody("  deploy\\t", "other"));
		assertThat(padded.status()).isEqualTo(409);

		// "café" composed (U+00E9) and decomposed (e + U+0301) are one lock
		Reply composed = post("/api/v1alpha1/lock", lockBody("caf\u00e9", " me "));
		assertThat(composed.status()).isEqualTo(200);
		assertThat(composed.text("service")).isEqualTo("caf\u00e9");
		assertThat(composed.text("who")).as("who is trimmed too").isEqualTo("me");
		assertThat(post("/api/v1alpha1/lock", lockBody("cafe\u0301", "other")).status()).isEqualTo(409);
		assertThat(heldCount()).isEqualTo(2);
	}

	@ParameterizedTest
	@ValueSource(strings = { "deploy\\u200b", "de\\u200dploy", "\\ufeffdeploy", "deploy\\u2060", "deploy\\u00ad",
			"deploy\\u202e", "deploy\\u0085", "deploy\\u00a0prod", "de\\u2028ploy", "deploy\\ud800",
			"deploy\\ue000", "deploy\\ufe0f", "deploy\\u3164", "deploy\\u2800", "deploy\\ud834\\udd59" })
	void invisibleAndFormatCharactersAreRejectedNamingTheField(String service) {
		Reply reply = post("/api/v1alpha1/lock", lockBody(service, "me"));
		assertThat(reply.status()).as(service).isEqualTo(400);
		assertThat(reply.text("field")).isEqualTo("service");
		assertThat(reply.text("error")).contains("service").contains("U+");
		Reply who = post("/api/v1alpha1/lock", lockBody("visible", "me" + service));
		assertThat(who.status()).as(service).isEqualTo(400);
		assertThat(who.text("field")).isEqualTo("who");
		assertThat(heldCount()).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "   ", "not json", "[1, 2]", "\"text\"", "{\"service\": \"x\", ", "null" })
	void createRejectsBodiesThatAreNotJsonObjects(String body) {
		Reply reply = post("/api/v1alpha1/lock", body);
		assertThat(reply.status()).as(body).isEqualTo(400);
		assertThat(reply.text("error")).contains("body");
		assertThat(heldCount()).isZero();
	}

	@Test
	void oversizedBodiesAreRefusedWith413() {
		String padding = "x".repeat(20 * 1024);
		Reply reply = post("/api/v1alpha1/lock",
				"{\"service\": \"big\", \"who\": \"me\", \"padding\": \"" + padding + "\"}");
		assertThat(reply.status()).isEqualTo(413);
		assertThat(reply.text("error")).contains("larger than");
		assertThat(heldCount()).isZero();
	}

	@Test
	void oversizedChunkedBodiesAreRefusedWith413() {
		byte[] big = ("{\"service\": \"big\", \"who\": \"" + "x".repeat(20 * 1024) + "\"}").getBytes();
		Reply reply = send(request("/api/v1alpha1/lock").header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))));
		assertThat(reply.status()).isEqualTo(413);
		assertThat(heldCount()).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = { "null", "507f1f77bcf86cd799439011", "abc.def", "cHJvZA.", ".abc", "a.b.c",
			"cHJvZA.00000000-0000-0000-0000-000000000000" })
	void unknownOrMalformedIdsAreNotFoundOnEveryEndpoint(String id) {
		assertNotFound(get("/api/v1alpha1/lock/" + id));
		assertNotFound(get("/api/v1alpha1/unlock/" + id));
		assertNotFound(delete("/api/v1alpha1/lock/" + id));
		assertNotFound(post("/api/v1alpha1/lock/" + id + "/extend", "{\"ttl\": \"1m\"}"));
	}

	@Test
	void anIdForAnotherServiceDoesNotReleaseTheHeldLock() {
		String id = post("/api/v1alpha1/lock", lockBody("held", "me")).text("id");
		String leaseId = id.substring(id.indexOf('.') + 1);
		String otherService = new LockId("other", leaseId).encode();
		assertNotFound(get("/api/v1alpha1/unlock/" + otherService));
		String wrongLease = new LockId("held", "00000000-0000-0000-0000-000000000000").encode();
		assertNotFound(get("/api/v1alpha1/unlock/" + wrongLease));
		assertThat(get("/api/v1alpha1/lock/" + id).status()).isEqualTo(200);
	}

	@Test
	void extendRejectsBadTtlAndLeavesTheLockAsItWas() {
		Reply created = post("/api/v1alpha1/lock", lockBody("extend-bad", "me"));
		String id = created.text("id");
		for (String body : new String[] { "{\"ttl\": \"forever\"}", "{\"ttl\": \"0s\"}", "{\"ttl\": \"99h\"}",
				"[]", "not json" }) {
			Reply reply = post("/api/v1alpha1/lock/" + id + "/extend", body);
			assertThat(reply.status()).as(body).isEqualTo(400);
			assertThat(reply.text("error")).isNotBlank();
		}
		assertThat(get("/api/v1alpha1/lock/" + id).text("expiresAt")).isEqualTo(created.text("expiresAt"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "per_page=0|per_page", "per_page=-1|per_page", "per_page=1001|per_page",
			"per_page=ten|per_page", "page=0|page", "page=x|page", "page=1.5|page" })
	void listRejectsBadPaging(String caseText) {
		String query = caseText.substring(0, caseText.indexOf('|'));
		String field = caseText.substring(caseText.indexOf('|') + 1);
		Reply reply = get("/api/v1alpha1/locks/list?" + query);
		assertThat(reply.status()).as(query).isEqualTo(400);
		assertThat(reply.text("field")).isEqualTo(field);
		assertThat(reply.text("error")).contains(field);
	}

	private static void assertNotFound(Reply reply) {
		assertThat(reply.status()).isEqualTo(404);
		assertThat(reply.text("error")).contains("not found");
		assertThat(reply.text("id")).isNull();
	}

}
