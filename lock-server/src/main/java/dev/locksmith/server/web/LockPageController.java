package dev.locksmith.server.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

import dev.locksmith.server.LockServiceException;
import dev.locksmith.server.ServiceLock;
import dev.locksmith.server.ServiceLockPage;
import dev.locksmith.server.ServiceLocks;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The lock page ({@code locksmith.server.page.enabled=true}): {@code GET /locksmith/locks} is a static shell
 * with a filter (and a token field when a token is configured); its script loads the rows, rendered and
 * HTML-escaped here, from {@code GET /locksmith/locks/rows} every few seconds, sending the token as the
 * API's {@code Authorization: Bearer} header. The rows obey the same token and cross-site rules as the REST
 * API, and a release button goes to {@code DELETE /api/v1alpha1/lock/{id}}, so the page can do nothing the
 * API would refuse. Every response forbids scripts, styles and connections other than this server's own
 * files (Content-Security-Policy) and framing.
 */
@RestController
public class LockPageController {

	/** Path of the page. */
	public static final String PATH = "/locksmith/locks";

	/** Most rows the page shows (the filter narrows them down). */
	static final int MAX_ROWS = 500;

	static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
			+ "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

	private static final MediaType HTML = new MediaType("text", "html", StandardCharsets.UTF_8);

	private final ServiceLocks locks;

	private final CrossSiteRequests crossSite;

	private final boolean tokenConfigured;

	private final Clock clock;

	private final String shell;

	private final String script;

	private final String style;

	/**
	 * Creates the page.
	 * @param locks the lock service
	 * @param browserHosts host names, besides localhost and IP addresses, that browsers may use
	 * @param tokenConfigured whether the lock service requires a bearer token (then the page asks for it and
	 * offers release buttons)
	 * @param clock the clock for the age and time left of each lock
	 */
	public LockPageController(ServiceLocks locks, List<String> browserHosts, boolean tokenConfigured, Clock clock) {
		this.locks = locks;
		this.crossSite = new CrossSiteRequests(browserHosts);
		this.tokenConfigured = tokenConfigured;
		this.clock = clock;
		this.shell = resource("lock-page.html").replace("{{tokenRequired}}", String.valueOf(tokenConfigured));
		this.script = resource("lock-page.js");
		this.style = resource("lock-page.css");
	}

	/**
	 * The page itself; it holds no lock data, so it needs no token.
	 * @return the HTML shell
	 */
	@GetMapping(path = PATH)
	public ResponseEntity<String> page() {
		return secured(HTML).body(this.shell);
	}

	/**
	 * The page's script.
	 * @return the script
	 */
	@GetMapping(path = PATH + ".js")
	public ResponseEntity<String> script() {
		return secured(new MediaType("text", "javascript", StandardCharsets.UTF_8)).body(this.script);
	}

	/**
	 * The page's style sheet.
	 * @return the style sheet
	 */
	@GetMapping(path = PATH + ".css")
	public ResponseEntity<String> style() {
		return secured(new MediaType("text", "css", StandardCharsets.UTF_8)).body(this.style);
	}

	/**
	 * The table rows of the held locks whose service contains {@code name} (ignoring case), escaped for HTML;
	 * protected like the REST API.
	 * @param request the request
	 * @param name the filter, or empty for all
	 * @return the rows
	 */
	@GetMapping(path = PATH + "/rows")
	public ResponseEntity<String> rows(HttpServletRequest request,
			@RequestParam(name = "name", required = false) @Nullable String name) {
		this.crossSite.check(request);
		this.locks.authorize(request.getHeader(HttpHeaders.AUTHORIZATION));
		String filter = (name != null) ? name.trim() : "";
		ServiceLockPage matching = this.locks.find(filter, MAX_ROWS);
		Instant now = this.clock.instant();
		StringBuilder html = new StringBuilder();
		for (ServiceLock lock : matching.locks()) {
			row(html, lock, now);
		}
		if (matching.locks().isEmpty()) {
			html.append("<tr><td colspan=\"6\" class=\"empty\">")
				.append(filter.isEmpty() ? "No locks are held." : "No held lock matches the filter.")
				.append("</td></tr>\n");
		}
		long total = matching.total();
		String summary = (filter.isEmpty() ? "held locks: " : "matching held locks: ") + total
				+ ((total > MAX_ROWS) ? " (showing the first " + MAX_ROWS + ")" : "");
		html.append("<tr hidden><td id=\"summary\">").append(escape(summary)).append("</td></tr>\n");
		return secured(HTML).header(HttpHeaders.CACHE_CONTROL, "no-store").body(html.toString());
	}

	/**
	 * Turns a refusal into its status and a plain-text message the page shows.
	 * @param ex the refusal
	 * @return the response
	 */
	@ExceptionHandler(LockServiceException.class)
	public ResponseEntity<String> refused(LockServiceException ex) {
		ResponseEntity.BodyBuilder response = secured(LockServiceController.status(ex.reason()),
				new MediaType("text", "plain", StandardCharsets.UTF_8))
			.header(HttpHeaders.CACHE_CONTROL, "no-store");
		if (ex.reason() == LockServiceException.Reason.UNAUTHORIZED) {
			response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
		}
		return response.body(String.valueOf(ex.getMessage()));
	}

	private void row(StringBuilder html, ServiceLock lock, Instant now) {
		Duration age = Duration.between(lock.createdAt(), now);
		Duration left = Duration.between(now, lock.expiresAt());
		// the bar in whole seconds: the backend's two timestamps may differ from the TTL by a millisecond
		long ttlSeconds = Math.max(1, Math.round(Duration.between(lock.createdAt(), lock.expiresAt()).toMillis() / 1000.0));
		long leftSeconds = Math.max(0, Math.min(ttlSeconds, Math.round(left.toMillis() / 1000.0)));
		html.append("<tr data-service=\"").append(escape(lock.service())).append("\">")
			.append("<td class=\"service\">").append(escape(lock.service())).append("</td>")
			.append("<td class=\"holder\">").append(escape(lock.who())).append("</td>")
			.append("<td class=\"age\" title=\"since ").append(escape(lock.createdAt().toString())).append("\">")
			.append(escape(human(age))).append("</td>")
			.append("<td class=\"left\" title=\"until ").append(escape(lock.expiresAt().toString())).append("\">")
			.append("<meter min=\"0\" max=\"").append(ttlSeconds).append("\" low=\"").append(ttlSeconds / 5.0)
			.append("\" high=\"").append(ttlSeconds / 2.0).append("\" optimum=\"").append(ttlSeconds)
			.append("\" value=\"").append(leftSeconds).append("\"></meter> ")
			.append(escape(human(left))).append("</td>")
			.append("<td class=\"token\">").append(lock.fencingToken()).append("</td>")
			.append("<td>");
		if (this.tokenConfigured) {
			html.append("<button type=\"button\" class=\"release\" data-id=\"").append(escape(lock.id()))
				.append("\" data-service=\"").append(escape(lock.service())).append("\">Release</button>");
		}
		html.append("</td></tr>\n");
	}

	/** A duration as people read it: 42s, 3m 05s, 2h 10m, 3d 4h; negative as 0s. */
	static String human(Duration duration) {
		long seconds = Math.max(0, duration.getSeconds());
		if (seconds < 60) {
			return seconds + "s";
		}
		if (seconds < 3600) {
			return String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60);
		}
		if (seconds < 86_400) {
			return String.format(Locale.ROOT, "%dh %02dm", seconds / 3600, (seconds % 3600) / 60);
		}
		return String.format(Locale.ROOT, "%dd %dh", seconds / 86_400, (seconds % 86_400) / 3600);
	}

	/** Escapes text for an HTML element or a quoted attribute. */
	static String escape(String text) {
		StringBuilder out = new StringBuilder(text.length() + 16);
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			switch (c) {
				case '&' -> out.append("&amp;");
				case '<' -> out.append("&lt;");
				case '>' -> out.append("&gt;");
				case '"' -> out.append("&quot;");
				case '\'' -> out.append("&#39;");
				default -> out.append(c);
			}
		}
		return out.toString();
	}

	private static ResponseEntity.BodyBuilder secured(MediaType type) {
		return secured(HttpStatus.OK, type);
	}

	private static ResponseEntity.BodyBuilder secured(HttpStatus status, MediaType type) {
		return ResponseEntity.status(status)
			.contentType(type)
			.header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
			.header("X-Content-Type-Options", "nosniff")
			.header("X-Frame-Options", "DENY")
			.header("Referrer-Policy", "no-referrer");
	}

	private static String resource(String name) {
		try (InputStream in = LockPageController.class.getResourceAsStream(name)) {
			if (in == null) {
				throw new IllegalStateException("missing resource " + name);
			}
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
