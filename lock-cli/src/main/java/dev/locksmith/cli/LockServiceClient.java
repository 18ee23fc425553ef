package dev.locksmith.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The lock service's REST API ({@code /api/v1alpha1}) as the CLI needs it.
 */
final class LockServiceClient {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final URI base;

	private final @Nullable String token;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	LockServiceClient(String server, @Nullable String token) {
		String trimmed = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
		this.base = URI.create(trimmed + "/api/v1alpha1/");
		this.token = (token == null || token.isBlank()) ? null : token;
	}

	/** A response: status code, JSON body, and whether the server asked to retry later (503 with Retry-After). */
	record Reply(int status, JsonNode body, boolean retryLater) {

		String error() {
			return this.body.path("error").asString("HTTP " + this.status);
		}

	}

	/** Creates a lock, waiting up to {@code wait} on the server. */
	Reply create(String service, String who, @Nullable String ttl, Duration wait) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("service", service);
		body.put("who", who);
		if (ttl != null) {
			body.put("ttl", ttl);
		}
		if (!wait.isZero()) {
			body.put("wait", wait.toMillis() + "ms");
		}
		HttpRequest.Builder request = request("lock", wait.plusSeconds(30))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
		return send(request);
	}

	/** Sets a held lock to expire {@code ttl} (null: the server's default TTL) from now. */
	Reply extend(String id, @Nullable String ttl) {
		Map<String, Object> body = new LinkedHashMap<>();
		if (ttl != null) {
			body.put("ttl", ttl);
		}
		HttpRequest.Builder request = request("lock/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/extend",
				Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
		return send(request);
	}

	/** Releases a lock by id. */
	Reply release(String id) {
		return send(request("lock/" + URLEncoder.encode(id, StandardCharsets.UTF_8), Duration.ofSeconds(30)).DELETE());
	}

	/** Returns every held service lock, page by page. */
	List<JsonNode> list() {
		List<JsonNode> all = new ArrayList<>();
		for (int page = 1;; page++) {
			Reply reply = send(request("locks/list?per_page=1000&page=" + page, Duration.ofSeconds(30)).GET());
			if (reply.status() != 200) {
				throw new CliException(3, "listing locks failed: " + reply.error());
			}
			JsonNode locks = reply.body().path("locks");
			locks.forEach(all::add);
			if (locks.size() < 1000 || all.size() >= reply.body().path("total").asLong()) {
				return all;
			}
		}
	}

	/** Returns the held lock of a service, if any. */
	Optional<JsonNode> find(String service) {
		return list().stream().filter((lock) -> service.equals(lock.path("service").asString())).findFirst();
	}

	private HttpRequest.Builder request(String path, Duration timeout) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(this.base.resolve(path)).timeout(timeout);
		if (this.token != null) {
			builder.header("Authorization", "Bearer " + this.token);
		}
		return builder;
	}

	private Reply send(HttpRequest.Builder request) {
		try {
			HttpResponse<String> response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
			JsonNode body = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
			boolean retryLater = response.statusCode() == 503
					&& response.headers().firstValue("Retry-After").isPresent();
			return new Reply(response.statusCode(), body, retryLater);
		}
		catch (IOException ex) {
			String reason = (ex.getMessage() != null) ? ex.getMessage() : ex.getClass().getSimpleName();
			throw new CliException(3, "cannot reach the lock service at " + this.base + ": " + reason);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new CliException(3, "interrupted");
		}
		catch (RuntimeException ex) {
			throw new CliException(3, "unexpected answer from the lock service: " + ex.getMessage());
		}
	}

}
