package dev.locksmith.server;

import java.util.ArrayList;
import java.util.List;

import dev.locksmith.Locksmith;
import dev.locksmith.spi.LockProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two lock service instances (two application contexts, each with its own {@code MutexService} and owner
 * id) on one backend: a lock taken on one conflicts, is visible and is released on the other, because the
 * service keeps no lock state of its own. Subclasses supply the shared backend.
 */
abstract class AbstractTwoInstancesTests {

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	/**
	 * Returns a new client of the shared backend (called once per instance).
	 * @return the provider
	 */
	abstract LockProvider backendClient();

	/**
	 * Called after both instances have stopped, to close the backend clients.
	 */
	void closeBackendClients() {
	}

	@AfterEach
	void stopInstances() {
		this.contexts.forEach(ConfigurableApplicationContext::close);
		closeBackendClients();
	}

	@Test
	void lockOnOneInstanceConflictAndUnlockOnTheOther() {
		Instance first = start();
		Instance second = start();

		LockServerTestSupport.Reply created = first.post("/api/v1alpha1/lock",
				LockServerTestSupport.lockBody("shared-deploy", "pipeline-1"));
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");

		LockServerTestSupport.Reply conflict = second.post("/api/v1alpha1/lock",
				LockServerTestSupport.lockBody("shared-deploy", "pipeline-2"));
		assertThat(conflict.status()).isEqualTo(409);
		assertThat(conflict.json().get("existingLock").get("id").asString()).isEqualTo(id);
		assertThat(conflict.json().get("existingLock").get("who").asString()).isEqualTo("pipeline-1");

		assertThat(second.get("/api/v1alpha1/lock/" + id).text("who")).isEqualTo("pipeline-1");
		assertThat(second.get("/api/v1alpha1/locks/list").json().get("total").asLong()).isEqualTo(1);

		assertThat(second.get("/api/v1alpha1/unlock/" + id).status()).isEqualTo(200);
		assertThat(first.get("/api/v1alpha1/lock/" + id).status()).isEqualTo(404);
		assertThat(first.get("/api/v1alpha1/unlock/" + id).status()).isEqualTo(404);

		LockServerTestSupport.Reply retaken = second.post("/api/v1alpha1/lock",
				LockServerTestSupport.lockBody("shared-deploy", "pipeline-2"));
		assertThat(retaken.status()).isEqualTo(200);
		assertThat(retaken.json().get("fencingToken").asLong())
			.isGreaterThan(created.json().get("fencingToken").asLong());
		assertThat(first.delete("/api/v1alpha1/lock/" + retaken.text("id")).status()).isEqualTo(200);
	}

	private Instance start() {
		LockProvider provider = backendClient();
		ConfigurableApplicationContext context = new SpringApplicationBuilder(InstanceApplication.class)
			.properties("server.port=0", "locksmith.server.enabled=true", "locksmith.server.grpc.enabled=false",
					"spring.main.banner-mode=off")
			.initializers((ctx) -> ctx.getBeanFactory()
				.registerSingleton("mutexService", Locksmith.builder(provider).build()))
			.run();
		this.contexts.add(context);
		return new Instance(((WebServerApplicationContext) context).getWebServer().getPort());
	}

	/** One running instance, reached over HTTP. */
	record Instance(int port) {

		LockServerTestSupport.Reply post(String path, String body) {
			return LockServerTestSupport.send(builder(path).header("Content-Type", "application/json")
				.POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
		}

		LockServerTestSupport.Reply get(String path) {
			return LockServerTestSupport.send(builder(path).GET());
		}

		LockServerTestSupport.Reply delete(String path) {
			return LockServerTestSupport.send(builder(path).DELETE());
		}

		private java.net.http.HttpRequest.Builder builder(String path) {
			return java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + this.port + path));
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class InstanceApplication {

	}

}
