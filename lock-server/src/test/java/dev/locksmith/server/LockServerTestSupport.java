package dev.locksmith.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import dev.locksmith.server.grpc.GrpcLockServer;
import org.junit.jupiter.api.AfterEach;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts the test application on a random HTTP port and a random gRPC port, and talks to both over real
 * sockets. Subclasses share one context; every test ends with no service lock held.
 */
@SpringBootTest(classes = TestLockServerApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "locksmith.server.enabled=true", "locksmith.server.grpc.port=0",
				"locksmith.server.default-ttl=10m", "locksmith.server.max-wait=10s" })
abstract class LockServerTestSupport {

	static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	int port;

	@Autowired
	GrpcLockServer grpcServer;

	@Autowired
	ServiceLocks serviceLocks;

	@AfterEach
	void releaseEverything() {
		for (ServiceLock lock : this.serviceLocks.list(1, ServiceLocks.MAX_PER_PAGE).locks()) {
			this.serviceLocks.release(lock.id());
		}
		assertThat(this.serviceLocks.list(1, 10).total()).isZero();
	}

	/** A response: status and parsed JSON body. */
	record Reply(int status, JsonNode json, HttpResponse<String> raw) {

		String text(String field) {
			JsonNode value = this.json.get(field);
			return (value == null || value.isNull()) ? null : value.asString();
		}

	}

	Reply post(String path, String body) {
		return send(request(path).header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body)));
	}

	Reply get(String path) {
		return send(request(path).GET());
	}

	Reply delete(String path) {
		return send(request(path).DELETE());
	}

	HttpRequest.Builder request(String path) {
		return HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + path)).timeout(Duration.ofSeconds(30));
	}

	static Reply send(HttpRequest.Builder request) {
		try {
			HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
			String body = response.body();
			JsonNode json = (body == null || body.isBlank()) ? JSON.createObjectNode() : JSON.readTree(body);
			return new Reply(response.statusCode(), json, response);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	static String lockBody(String service, String who) {
		return "{\"service\": \"" + service + "\", \"who\": \"" + who + "\"}";
	}

	ManagedChannel channel() {
		return Grpc.newChannelBuilderForAddress("localhost", this.grpcServer.getPort(), InsecureChannelCredentials.create())
			.build();
	}

	long heldCount() {
		return this.serviceLocks.list(1, 10).total();
	}

}
