package dev.locksmith.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.server.ServiceLocks;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code lock} waits for a held mutex even while the service's waiting slots are all taken
 * ({@code locksmith.server.max-waiting-requests}, 503 with {@code Retry-After}): it retries until its
 * {@code --timeout}, and a busy service is not reported as a failing one (exit 3).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "locksmith.server.enabled=true", "locksmith.server.grpc.enabled=false",
				"locksmith.server.max-waiting-requests=1" })
class LocksmithCliBusyServiceTests {

	@LocalServerPort
	int port;

	@Autowired
	ServiceLocks serviceLocks;

	private LocksmithCli cli(ByteArrayOutputStream out, ByteArrayOutputStream err) {
		return new LocksmithCli(new PrintStream(out, true, StandardCharsets.UTF_8),
				new PrintStream(err, true, StandardCharsets.UTF_8),
				Map.of("LOCKSMITH_SERVER", "http://localhost:" + this.port));
	}

	@Test
	void lockKeepsWaitingWhileTheServiceHasNoFreeWaitingSlot() throws Exception {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		assertThat(cli(out, err).run("mutex", "lock", "busy", "--holder", "first")).isZero();
		// another client takes the only waiting slot
		HttpClient http = HttpClient.newHttpClient();
		CompletableFuture<HttpResponse<String>> waiter = http.sendAsync(
				HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + "/api/v1alpha1/lock"))
					.POST(HttpRequest.BodyPublishers
						.ofString("{\"service\": \"busy\", \"who\": \"other\", \"wait\": \"30s\"}"))
					.build(),
				HttpResponse.BodyHandlers.ofString());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 1);

		CompletableFuture<Integer> second = CompletableFuture
			.supplyAsync(() -> cli(new ByteArrayOutputStream(), new ByteArrayOutputStream())
				.run("mutex", "lock", "busy", "--holder", "second", "--timeout", "20s"));
		// the slot frees only when "first" unlocks and "other" gets the mutex; "second" must still be waiting
		await("lock keeps waiting on a busy service").during(Duration.ofSeconds(2))
			.atMost(Duration.ofSeconds(5))
			.until(() -> !second.isDone());
		assertThat(cli(out, err).run("mutex", "unlock", "busy", "--holder", "first")).isZero();
		assertThat(waiter.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
		assertThat(cli(out, err).run("mutex", "unlock", "busy", "--holder", "other")).isZero();
		assertThat(second.get(30, TimeUnit.SECONDS)).isZero();
		assertThat(cli(out, err).run("mutex", "unlock", "busy", "--holder", "second")).isZero();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Config {

		@Bean
		MutexService mutexService() {
			return Locksmith.builder(new MemoryLockProvider()).build();
		}

	}

}
