package dev.locksmith.server;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lock page ({@code locksmith.server.page.enabled=true}) without a token: the shell, the escaped rows,
 * the filter, no release buttons, and the same cross-site rules as the REST API.
 */
@TestPropertySource(properties = "locksmith.server.page.enabled=true")
class LockPageTests extends LockServerTestSupport {

	static final String XSS = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>";

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@Test
	void thePageIsAShellWithAStrictContentSecurityPolicy() {
		HttpResponse<String> page = html(request("/locksmith/locks").GET());
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying((type) -> assertThat(type)
			.startsWith("text/html"));
		String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
		assertThat(csp).contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'")
			.doesNotContain("unsafe-inline");
		assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
		assertThat(page.body()).contains("<script src=\"/locksmith/locks.js\"", "data-token-required=\"false\"")
			.doesNotContain("onclick", "<script>");
		assertThat(html(request("/locksmith/locks.js").GET()).body()).contains("Authorization");
		assertThat(html(request("/locksmith/locks.css").GET()).statusCode()).isEqualTo(200);
	}

	@Test
	void rowsShowEveryHeldLockEscapedAndWithoutReleaseButtons() {
		Reply deploy = post("/api/v1alpha1/lock", "{\"service\": \"deploy-prod\", \"who\": \"ci-42\", \"ttl\": \"10m\"}");
		assertThat(deploy.status()).isEqualTo(200);
		Reply evil = post("/api/v1alpha1/lock",
				"{\"service\": " + JSON.writeValueAsString(XSS) + ", \"who\": " + JSON.writeValueAsString(XSS) + "}");
		assertThat(evil.status()).isEqualTo(200);

		HttpResponse<String> rows = html(request("/locksmith/locks/rows").GET());
		assertThat(rows.statusCode()).isEqualTo(200);
		assertThat(rows.headers().firstValue("Content-Security-Policy")).isPresent();
		assertThat(rows.headers().firstValue("Cache-Control")).hasValue("no-store");
		String body = rows.body();
		assertThat(body).contains("<td class=\"service\">deploy-prod</td>", "<td class=\"holder\">ci-42</td>",
				"<td class=\"token\">" + deploy.json().get("fencingToken").asLong() + "</td>", "<meter min=\"0\"",
				"max=\"600\"", "held locks: 2");
		assertThat(body).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
			.doesNotContain("<script", "<img", "\"><img", "alert('x')");
		assertThat(body).doesNotContain("<button");
	}

	@Test
	void theFilterKeepsTheServicesThatContainTheName() {
		for (String service : new String[] { "deploy-prod", "deploy-staging", "backup" }) {
			assertThat(post("/api/v1alpha1/lock", lockBody(service, "ci")).status()).isEqualTo(200);
		}
		String body = html(request("/locksmith/locks/rows?name=" + URLEncoder.encode("DEPLOY ", StandardCharsets.UTF_8))
			.GET()).body();
		assertThat(body).contains(">deploy-prod<", ">deploy-staging<", "matching held locks: 2").doesNotContain(">backup<");
		assertThat(html(request("/locksmith/locks/rows?name=nothing").GET()).body())
			.contains("No held lock matches the filter.", "matching held locks: 0");
		ServiceLockPage first = this.serviceLocks.find("deploy", 1);
		assertThat(first.locks()).extracting(ServiceLock::service).containsExactly("deploy-prod");
		assertThat(first.total()).isEqualTo(2);
	}

	@Test
	void rowsObeyTheCrossSiteRules() {
		assertThat(post("/api/v1alpha1/lock", lockBody("secret-ops", "ci")).status()).isEqualTo(200);
		HttpResponse<String> crossSite = html(request("/locksmith/locks/rows").header("Sec-Fetch-Site", "cross-site")
			.GET());
		assertThat(crossSite.statusCode()).isEqualTo(403);
		assertThat(crossSite.body()).doesNotContain("secret-ops");
		HttpResponse<String> otherOrigin = html(request("/locksmith/locks/rows").header("Origin", "https://evil.example")
			.GET());
		assertThat(otherOrigin.statusCode()).isEqualTo(403);
		HttpResponse<String> sameOrigin = html(request("/locksmith/locks/rows")
			.header("Origin", "http://localhost:" + this.port)
			.header("Sec-Fetch-Site", "same-origin")
			.GET());
		assertThat(sameOrigin.statusCode()).isEqualTo(200);
		assertThat(sameOrigin.body()).contains("secret-ops");
	}

	static HttpResponse<String> html(HttpRequest.Builder request) {
		try {
			return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
