package dev.locksmith.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
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
 * The lock service's REST API ({@code /api/v1alpha1}) as the CLI needs it, over {@link HttpURLConnection}:
 * unlike {@code java.net.http.HttpClient} it sets up no TLS context for a plain-HTTP service, which takes
 * most of a second of a short command's start-up on a busy machine.
 */
final class LockServiceClient implements MutexClient {

	static {
		// never re-send a POST (a create or an extend) on its own after a failure: the CLI decides
		System.setProperty("sun.net.http.retryPost", "false");
	}

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

	private final URI base;

	private final @Nullable String token;

	LockServiceClient(String server, @Nullable String token) {
		String trimmed = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
		this.base = URI.create(trimmed + "/api/v1alpha1/");
		this.token = (token == null || token.isBlank()) ? null : token;
	}

	/** Creates a lock, waiting up to {@code wait} on the server. */
	@Override
	public Reply create(String service, String who, @Nullable String ttl, Duration wait) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("service", service);
		body.put("who", who);
		if (ttl != null) {
			body.put("ttl", ttl);
		}
		if (!wait.isZero()) {
			body.put("wait", wait.toMillis() + "ms");
		}
		return send("POST", "lock", wait.plusSeconds(30), JSON.writeValueAsString(body));
	}

	/** Sets a held lock to expire {@code ttl} (null: the server's default TTL) from now. */
	@Override
	public Reply extend(String id, @Nullable String ttl) {
		Map<String, Object> body = new LinkedHashMap<>();
		if (ttl != null) {
			body.put("ttl", ttl);
		}
		return send("POST", "lock/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/extend",
				Duration.ofSeconds(30), JSON.writeValueAsString(body));
	}

	/** Releases a lock by id. */
	@Override
	public Reply release(String id) {
		return send("DELETE", "lock/" + URLEncoder.encode(id, StandardCharsets.UTF_8), Duration.ofSeconds(30), null);
	}

	/** Returns every held service lock, page by page. */
	@Override
	public List<JsonNode> list() {
		List<JsonNode> all = new ArrayList<>();
		for (int page = 1;; page++) {
			Reply reply = send("GET", "locks/list?per_page=1000&page=" + page, Duration.ofSeconds(30), null);
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
	@Override
	public Optional<JsonNode> find(String service) {
		return list().stream().filter((lock) -> service.equals(lock.path("service").asString())).findFirst();
	}

	@Override
	public Reply createMutex(String name, Duration ttl) {
		throw new CliException(2, "mutex create needs --kubernetes: the lock service has no mutex objects "
				+ "(a lock takes its TTL from --ttl or the service's default)");
	}

	private Reply send(String method, String path, Duration timeout, @Nullable String body) {
		try {
			HttpURLConnection connection = (HttpURLConnection) this.base.resolve(path).toURL().openConnection();
			connection.setRequestMethod(method);
			connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
			connection.setReadTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
			connection.setUseCaches(false);
			if (this.token != null) {
				connection.setRequestProperty("Authorization", "Bearer " + this.token);
			}
			if (body != null) {
				connection.setDoOutput(true);
				connection.setRequestProperty("Content-Type", "application/json");
				try (OutputStream out = connection.getOutputStream()) {
					out.write(body.getBytes(StandardCharsets.UTF_8));
				}
			}
			int status = connection.getResponseCode();
			String text;
			try (InputStream in = (status >= 400) ? connection.getErrorStream() : connection.getInputStream()) {
				text = (in != null) ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : "";
			}
			JsonNode json = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
			boolean retryLater = status == 503 && connection.getHeaderField("Retry-After") != null;
			return new Reply(status, json, retryLater);
		}
		catch (IOException ex) {
			String reason = (ex.getMessage() != null) ? ex.getMessage() : ex.getClass().getSimpleName();
			throw new CliException(3, "cannot reach the lock service at " + this.base + ": " + reason);
		}
		catch (RuntimeException ex) {
			throw new CliException(3, "unexpected answer from the lock service: " + ex.getMessage());
		}
	}

}
