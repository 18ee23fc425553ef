package dev.locksmith.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.locksmith.MutexService;
import dev.locksmith.server.ServiceLock;
import dev.locksmith.server.ServiceLocks;
import dev.locksmith.server.grpc.GrpcLockServer;
import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksRequest;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The lock service's document flow against the running sample application, over real HTTP and gRPC:
 * create, conflict (409 with the holder, so {@code jq -r '.id'} is {@code null}), get, list with
 * pagination, unlock.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "sample.report.interval=1h")
class LockServiceEndToEndTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private ServiceLocks serviceLocks;

	@Autowired
	private GrpcLockServer grpcServer;

	@Autowired
	private MutexService locks;

	@AfterEach
	void nothingLeftLocked() {
		for (ServiceLock lock : this.serviceLocks.list(1, ServiceLocks.MAX_PER_PAGE).locks()) {
			this.serviceLocks.release(lock.id());
		}
	}

	@Test
	void documentCurlFlow() {
		Reply created = post("/api/v1alpha1/lock", "{\"service\": \"production-deployment\", \"who\": \"ci-pipeline-123\"}");
		assertThat(created.status()).isEqualTo(200);
		String id = created.json().get("id").asString();
		assertThat(created.json().get("service").asString()).isEqualTo("production-deployment");
		assertThat(created.json().get("who").asString()).isEqualTo("ci-pipeline-123");
		assertThat(created.json().get("createdAt").asString()).endsWith("Z");
		assertThat(created.json().get("expiresAt").asString()).endsWith("Z");
		assertThat(this.locks.isLocked("service:production-deployment")).isTrue();

		Reply conflict = post("/api/v1alpha1/lock", "{\"service\": \"production-deployment\", \"who\": \"other-pipeline\"}");
		assertThat(conflict.status()).isEqualTo(409);
		assertThat(conflict.json().has("id")).isFalse();
		assertThat(conflict.json().get("error").asString()).isEqualTo("lock already exists");
		assertThat(conflict.json().get("existingLock").get("id").asString()).isEqualTo(id);
		assertThat(conflict.json().get("existingLock").get("who").asString()).isEqualTo("ci-pipeline-123");

		Reply fetched = get("/api/v1alpha1/lock/" + id);
		assertThat(fetched.status()).isEqualTo(200);
		assertThat(fetched.json().get("who").asString()).isEqualTo("ci-pipeline-123");
		assertThat(fetched.json().get("createdAt").asString()).isEqualTo(created.json().get("createdAt").asString());

		for (String service : new String[] { "database-migration", "nightly-report-generation" }) {
			assertThat(post("/api/v1alpha1/lock", "{\"service\": \"" + service + "\", \"who\": \"cron\"}").status())
				.isEqualTo(200);
		}
		Reply firstPage = get("/api/v1alpha1/locks/list?per_page=2&page=1");
		Reply secondPage = get("/api/v1alpha1/locks/list?per_page=2&page=2");
		assertThat(firstPage.status()).isEqualTo(200);
		assertThat(firstPage.json().get("total").asLong()).isEqualTo(3);
		assertThat(firstPage.json().get("perPage").asInt()).isEqualTo(2);
		assertThat(services(firstPage)).containsExactly("database-migration", "nightly-report-generation");
		assertThat(services(secondPage)).containsExactly("production-deployment");
		assertThat(secondPage.json().get("page").asInt()).isEqualTo(2);
		assertThat(get("/api/v1alpha1/locks/list?per_page=100").json().get("locks")).hasSize(3);

		Reply unlocked = get("/api/v1alpha1/unlock/" + id);
		assertThat(unlocked.status()).isEqualTo(200);
		assertThat(unlocked.json().get("success").asBoolean()).isTrue();
		assertThat(get("/api/v1alpha1/lock/" + id).status()).isEqualTo(404);
		assertThat(get("/api/v1alpha1/unlock/" + id).status()).isEqualTo(404);
		assertThat(this.locks.isLocked("service:production-deployment")).isFalse();
		assertThat(get("/api/v1alpha1/locks/list").json().get("total").asLong()).isEqualTo(2);
	}

	@Test
	void rejectedRequestsLeaveNothingLocked() {
		assertThat(post("/api/v1alpha1/lock", "{\"service\": \"deploy\"}").status()).isEqualTo(400);
		assertThat(post("/api/v1alpha1/lock", "{\"service\": \"deploy\", \"who\": \"me\", \"ttl\": \"never\"}").status())
			.isEqualTo(400);
		assertThat(get("/api/v1alpha1/unlock/null").status()).isEqualTo(404);
		assertThat(get("/api/v1alpha1/locks/list?per_page=0").status()).isEqualTo(400);
		assertThat(this.serviceLocks.list(1, 10).total()).isZero();
	}

	@Test
	void grpcServesTheSameLocks() throws InterruptedException {
		ManagedChannel channel = Grpc
			.newChannelBuilderForAddress("localhost", this.grpcServer.getPort(), InsecureChannelCredentials.create())
			.build();
		try {
			LockServiceGrpc.LockServiceBlockingStub stub = LockServiceGrpc.newBlockingStub(channel)
				.withDeadlineAfter(20, TimeUnit.SECONDS);
			String id = stub.createLock(CreateLockRequest.newBuilder().setService("grpc-deploy").setWho("grpcurl").build())
				.getId();
			StatusRuntimeException conflict = catchThrowableOfType(StatusRuntimeException.class, () -> stub
				.createLock(CreateLockRequest.newBuilder().setService("grpc-deploy").setWho("other").build()));
			assertThat(conflict.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
			assertThat(stub.listLocks(ListLocksRequest.getDefaultInstance()).getTotal()).isEqualTo(1);
			assertThat(get("/api/v1alpha1/lock/" + id).json().get("who").asString()).isEqualTo("grpcurl");
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
	}

	private record Reply(int status, JsonNode json) {
	}

	private Reply post(String path, String body) {
		return send(HttpRequest.newBuilder(uri(path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body)));
	}

	private Reply get(String path) {
		return send(HttpRequest.newBuilder(uri(path)).GET());
	}

	private URI uri(String path) {
		return URI.create("http://localhost:" + this.port + path);
	}

	private static Reply send(HttpRequest.Builder request) {
		try {
			HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
					HttpResponse.BodyHandlers.ofString());
			return new Reply(response.statusCode(), JSON.readTree(response.body()));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static List<String> services(Reply list) {
		List<String> services = new ArrayList<>();
		for (JsonNode lock : list.json().get("locks")) {
			services.add(lock.get("service").asString());
		}
		return services;
	}

}
