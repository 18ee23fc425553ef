package dev.locksmith.server.web;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.server.LockServiceException;
import dev.locksmith.server.ServiceLock;
import dev.locksmith.server.ServiceLockPage;
import dev.locksmith.server.ServiceLocks;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * REST endpoints of the lock service. Reads request bodies itself (any content type, bounded size) so
 * that a script's {@code curl -d '{…}'} works with or without a JSON content type, and every error is a
 * JSON object with an {@code error} message. Requests a browser sends on behalf of another site are refused
 * ({@link CrossSiteRequests}).
 */
@RestController
@RequestMapping(path = "/api/v1alpha1", produces = MediaType.APPLICATION_JSON_VALUE)
public class LockServiceController {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final ServiceLocks locks;

	private final long maxBodySize;

	private final CrossSiteRequests crossSite;

	/**
	 * Creates the controller.
	 * @param locks the lock service
	 * @param maxBodySize the largest request body accepted, in bytes
	 */
	public LockServiceController(ServiceLocks locks, long maxBodySize) {
		this(locks, maxBodySize, List.of());
	}

	/**
	 * Creates the controller.
	 * @param locks the lock service
	 * @param maxBodySize the largest request body accepted, in bytes
	 * @param browserHosts host names, besides localhost and IP addresses, that browsers may use
	 */
	public LockServiceController(ServiceLocks locks, long maxBodySize, List<String> browserHosts) {
		this.locks = locks;
		this.maxBodySize = maxBodySize;
		this.crossSite = new CrossSiteRequests(browserHosts);
	}

	/**
	 * Takes a lock: body {@code {"service", "who", "ttl"?, "wait"?}}.
	 * @param request the request
	 * @return 200 with the lock, or 409 with the current holder
	 * @throws IOException if the body cannot be read
	 */
	@PostMapping("/lock")
	public Map<String, Object> create(HttpServletRequest request) throws IOException {
		authorize(request);
		JsonNode body = readObject(request, true);
		ServiceLock lock = this.locks.create(text(body, "service"), text(body, "who"), duration(body, "ttl"),
				duration(body, "wait"));
		return lockJson(lock);
	}

	/**
	 * Returns a held lock.
	 * @param request the request
	 * @param id the lock id
	 * @return the lock
	 */
	@GetMapping("/lock/{id}")
	public Map<String, Object> get(HttpServletRequest request, @PathVariable String id) {
		authorize(request);
		return lockJson(this.locks.get(id));
	}

	/**
	 * Releases a lock (the original API's verb).
	 * @param request the request
	 * @param id the lock id
	 * @return {@code {"success": true, "message"}}
	 */
	@GetMapping("/unlock/{id}")
	public Map<String, Object> unlock(HttpServletRequest request, @PathVariable String id) {
		authorize(request);
		return released(this.locks.release(id));
	}

	/**
	 * Releases a lock.
	 * @param request the request
	 * @param id the lock id
	 * @return {@code {"success": true, "message"}}
	 */
	@DeleteMapping("/lock/{id}")
	public Map<String, Object> delete(HttpServletRequest request, @PathVariable String id) {
		authorize(request);
		return released(this.locks.release(id));
	}

	/**
	 * Sets a held lock to expire {@code ttl} from now: body {@code {"ttl"?}} (default: the default TTL).
	 * @param request the request
	 * @param id the lock id
	 * @return the lock with its new expiry
	 * @throws IOException if the body cannot be read
	 */
	@PostMapping("/lock/{id}/extend")
	public Map<String, Object> extend(HttpServletRequest request, @PathVariable String id) throws IOException {
		authorize(request);
		JsonNode body = readObject(request, false);
		return lockJson(this.locks.extend(id, duration(body, "ttl")));
	}

	/**
	 * Lists held locks.
	 * @param request the request
	 * @param perPage the page size (default 10)
	 * @param page the page number (default 1)
	 * @return {@code {"locks", "total", "page", "perPage"}}
	 */
	@GetMapping("/locks/list")
	public Map<String, Object> list(HttpServletRequest request,
			@RequestParam(name = "per_page", required = false) @Nullable String perPage,
			@RequestParam(name = "page", required = false) @Nullable String page) {
		authorize(request);
		ServiceLockPage result = this.locks.list(number("page", page, 1),
				number("per_page", perPage, ServiceLocks.DEFAULT_PER_PAGE));
		List<Map<String, Object>> items = new ArrayList<>(result.locks().size());
		for (ServiceLock lock : result.locks()) {
			items.add(lockJson(lock));
		}
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("locks", items);
		json.put("total", result.total());
		json.put("page", result.page());
		json.put("perPage", result.perPage());
		return json;
	}

	/**
	 * Turns a refusal into its status and JSON body.
	 * @param ex the refusal
	 * @return the response
	 */
	@ExceptionHandler(LockServiceException.class)
	public ResponseEntity<Map<String, Object>> refused(LockServiceException ex) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("error", ex.getMessage());
		if (ex.field() != null) {
			json.put("field", ex.field());
		}
		ServiceLock existing = ex.existingLock();
		if (ex.reason() == LockServiceException.Reason.CONFLICT) {
			json.put("existingLock", (existing != null) ? lockJson(existing) : null);
		}
		ResponseEntity.BodyBuilder response = ResponseEntity.status(status(ex.reason()))
			.contentType(MediaType.APPLICATION_JSON);
		if (ex.reason() == LockServiceException.Reason.UNAUTHORIZED) {
			response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
		}
		if (ex.reason() == LockServiceException.Reason.OVERLOADED) {
			response.header(HttpHeaders.RETRY_AFTER, "1");
		}
		return response.body(json);
	}

	/**
	 * Reports an unreachable backend as 503.
	 * @param ex the failure
	 * @return the response
	 */
	@ExceptionHandler(LockProviderUnavailableException.class)
	public ResponseEntity<Map<String, Object>> unavailable(LockProviderUnavailableException ex) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("error", "lock backend unavailable: " + ex.getMessage());
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.APPLICATION_JSON).body(json);
	}

	/**
	 * Reports input that the lock library itself refused as 400.
	 * @param ex the refusal
	 * @return the response
	 */
	@ExceptionHandler(IllegalArgumentException.class)
	public ResponseEntity<Map<String, Object>> invalid(IllegalArgumentException ex) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("error", ex.getMessage());
		return ResponseEntity.status(HttpStatus.BAD_REQUEST).contentType(MediaType.APPLICATION_JSON).body(json);
	}

	private void authorize(HttpServletRequest request) {
		this.crossSite.check(request);
		this.locks.authorize(request.getHeader(HttpHeaders.AUTHORIZATION));
	}

	private JsonNode readObject(HttpServletRequest request, boolean required) throws IOException {
		if (request.getContentLengthLong() > this.maxBodySize) {
			throw LockServiceException.tooLarge(this.maxBodySize);
		}
		byte[] bytes;
		try (InputStream in = request.getInputStream()) {
			bytes = in.readNBytes((int) this.maxBodySize + 1);
		}
		if (bytes.length > this.maxBodySize) {
			throw LockServiceException.tooLarge(this.maxBodySize);
		}
		if (isBlank(bytes)) {
			if (required) {
				throw LockServiceException.badRequest(null,
						"request body must be a JSON object with \"service\" and \"who\"");
			}
			return JSON.createObjectNode();
		}
		JsonNode node;
		try {
			node = JSON.readTree(bytes);
		}
		catch (JacksonException ex) {
			throw LockServiceException.badRequest(null, "request body is not valid JSON: " + ex.getOriginalMessage());
		}
		if (node == null || !node.isObject()) {
			throw LockServiceException.badRequest(null, "request body must be a JSON object");
		}
		return node;
	}

	private static boolean isBlank(byte[] bytes) {
		for (byte b : bytes) {
			if (!Character.isWhitespace(b)) {
				return false;
			}
		}
		return true;
	}

	private static @Nullable String text(JsonNode body, String field) {
		JsonNode value = body.get(field);
		if (value == null || value.isNull()) {
			return null;
		}
		if (!value.isString()) {
			throw LockServiceException.badRequest(field, field + " must be a string");
		}
		return value.asString();
	}

	private static @Nullable String duration(JsonNode body, String field) {
		JsonNode value = body.get(field);
		if (value == null || value.isNull()) {
			return null;
		}
		if (value.isIntegralNumber()) {
			if (value.asLong() < 0) {
				throw LockServiceException.badRequest(field, field + " must not be negative, was " + value.asLong());
			}
			return value.asLong() + "s";
		}
		if (!value.isString()) {
			throw LockServiceException.badRequest(field,
					field + " must be a duration such as \"30s\", \"10m\" or \"PT1H\", or a number of seconds");
		}
		String text = value.asString();
		if (text.isBlank()) {
			throw LockServiceException.badRequest(field, field + " must not be blank");
		}
		return text;
	}

	private static int number(String name, @Nullable String value, int defaultValue) {
		if (value == null || value.isEmpty()) {
			return defaultValue;
		}
		try {
			return Integer.parseInt(value.trim());
		}
		catch (NumberFormatException ex) {
			throw LockServiceException.badRequest(name, name + " must be a whole number, was '" + value + "'");
		}
	}

	private static Map<String, Object> released(String service) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("success", true);
		json.put("message", "lock on '" + service + "' released");
		return json;
	}

	static Map<String, Object> lockJson(ServiceLock lock) {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("id", lock.id());
		json.put("service", lock.service());
		json.put("who", lock.who());
		json.put("createdAt", timestamp(lock.createdAt()));
		json.put("expiresAt", timestamp(lock.expiresAt()));
		json.put("fencingToken", lock.fencingToken());
		return json;
	}

	/** ISO-8601 UTC with whole seconds, as the original API (and jq's {@code fromdate}) expect. */
	private static String timestamp(Instant instant) {
		return instant.truncatedTo(ChronoUnit.SECONDS).toString();
	}

	static HttpStatus status(LockServiceException.Reason reason) {
		return switch (reason) {
			case BAD_REQUEST -> HttpStatus.BAD_REQUEST;
			case UNAUTHORIZED -> HttpStatus.UNAUTHORIZED;
			case FORBIDDEN -> HttpStatus.FORBIDDEN;
			case NOT_FOUND -> HttpStatus.NOT_FOUND;
			case CONFLICT -> HttpStatus.CONFLICT;
			case TOO_LARGE -> HttpStatus.CONTENT_TOO_LARGE;
			case OVERLOADED -> HttpStatus.SERVICE_UNAVAILABLE;
		};
	}

}
