package dev.locksmith.server;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.test.context.TestPropertySource;

import static dev.locksmith.server.LockPageTests.html;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lock page with {@code locksmith.server.token} set: the rows need the token like the REST API, carry
 * release buttons, and a release goes through the protected API with the token and the cross-site rules.
 */
@TestPropertySource(properties = { "locksmith.server.page.enabled=true", "locksmith.server.token=s3cret" })
class LockPageTokenTests extends LockServerTestSupport {

	@Test
	void thePageAsksForTheTokenAndShowsNothingWithoutIt() {
		HttpResponse<String> page = html(request("/locksmith/locks").GET());
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.body()).contains("data-token-required=\"true\"").doesNotContain("s3cret");
		assertThat(html(request("/locksmith/locks.js").GET()).body()).doesNotContain("s3cret");

		Reply created = send(request("/api/v1alpha1/lock").header("Authorization", "Bearer s3cret")
			.POST(HttpRequest.BodyPublishers.ofString(lockBody("guarded-page", "ci"))));
		assertThat(created.status()).isEqualTo(200);
		for (String authorization : new String[] { null, "Bearer nope", "Basic czNjcmV0" }) {
			HttpRequest.Builder request = request("/locksmith/locks/rows");
			if (authorization != null) {
				request.header("Authorization", authorization);
			}
			HttpResponse<String> rows = html(request.GET());
			assertThat(rows.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
			assertThat(rows.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
			assertThat(rows.body()).doesNotContain("guarded-page", created.text("id"));
		}
		assertThat(html(request("/locksmith/locks/rows?token=s3cret").GET()).statusCode())
			.as("the token is never taken from the URL")
			.isEqualTo(401);
	}

	@Test
	void withTheTokenTheRowsCarryReleaseButtonsThatReleaseThroughTheApi() {
		Reply created = send(request("/api/v1alpha1/lock").header("Authorization", "Bearer s3cret")
			.POST(HttpRequest.BodyPublishers.ofString(lockBody("release-me", "ci"))));
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");
		HttpResponse<String> rows = html(request("/locksmith/locks/rows").header("Authorization", "Bearer s3cret")
			.header("Origin", "http://localhost:" + this.port)
			.header("Sec-Fetch-Site", "same-origin")
			.GET());
		assertThat(rows.statusCode()).isEqualTo(200);
		assertThat(rows.body()).contains(">release-me<",
				"<button type=\"button\" class=\"release\" data-id=\"" + id + "\" data-service=\"release-me\">");

		// what the button sends from another site is refused, and the lock stays
		Reply crossSite = send(request("/api/v1alpha1/lock/" + id).header("Authorization", "Bearer s3cret")
			.header("Origin", "https://evil.example")
			.header("Sec-Fetch-Site", "cross-site")
			.DELETE());
		assertThat(crossSite.status()).isEqualTo(403);
		assertThat(heldCount()).isEqualTo(1);

		// what the button sends from the page: DELETE on the API with the token, same-origin
		Reply released = send(request("/api/v1alpha1/lock/" + id).header("Authorization", "Bearer s3cret")
			.header("Origin", "http://localhost:" + this.port)
			.header("Sec-Fetch-Site", "same-origin")
			.DELETE());
		assertThat(released.status()).isEqualTo(200);
		assertThat(heldCount()).isZero();
		assertThat(html(request("/locksmith/locks/rows").header("Authorization", "Bearer s3cret").GET()).body())
			.contains("No locks are held.")
			.doesNotContain("release-me");
	}

}
