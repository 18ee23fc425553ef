package dev.locksmith.server;

import java.net.http.HttpRequest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests a browser sends on behalf of another site (a {@code text/plain} form POST, an {@code <img>} on
 * {@code GET /unlock/{id}}) are refused with 403 and change nothing; scripts (no {@code Origin}, no
 * {@code Sec-Fetch-Site}) and same-origin pages keep working.
 */
class RestCrossSiteTests extends LockServerTestSupport {

	@Test
	void aCrossSiteFormPostIsRefusedAndLocksNothing() {
		// <form method=post enctype=text/plain action=http://lock-service/api/v1alpha1/lock> on evil.example
		Reply reply = send(request("/api/v1alpha1/lock").header("Content-Type", "text/plain")
			.header("Origin", "https://evil.example")
			.POST(HttpRequest.BodyPublishers.ofString(lockBody("form-post", "victim"))));
		assertThat(reply.status()).isEqualTo(403);
		assertThat(reply.text("error")).contains("cross-site").contains("Origin");
		assertThat(heldCount()).isZero();
	}

	@Test
	void anOriginOnAnotherPortOrNullIsRefused() {
		for (String origin : new String[] { "http://localhost:1", "null", "http://127.0.0.2:" + this.port,
				"not a url" }) {
			Reply reply = send(request("/api/v1alpha1/lock").header("Origin", origin)
				.POST(HttpRequest.BodyPublishers.ofString(lockBody("other-origin", "victim"))));
			assertThat(reply.status()).as(origin).isEqualTo(403);
		}
		assertThat(heldCount()).isZero();
	}

	@Test
	void aCrossSiteImageOnUnlockIsRefusedAndTheLockStaysHeld() {
		Reply created = post("/api/v1alpha1/lock", lockBody("img-unlock", "ci"));
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");
		// <img src="http://lock-service/api/v1alpha1/unlock/{id}">: no Origin, but Sec-Fetch-Site
		for (String site : new String[] { "cross-site", "same-site" }) {
			Reply reply = send(request("/api/v1alpha1/unlock/" + id).header("Sec-Fetch-Site", site)
				.header("Sec-Fetch-Mode", "no-cors")
				.header("Sec-Fetch-Dest", "image")
				.GET());
			assertThat(reply.status()).as(site).isEqualTo(403);
			assertThat(reply.text("error")).contains("Sec-Fetch-Site: " + site);
		}
		assertThat(get("/api/v1alpha1/lock/" + id).status()).as("still held").isEqualTo(200);
	}

	@Test
	void scriptsAndSameOriginPagesStillWork() {
		// curl and CI clients send neither Origin nor Sec-Fetch-Site
		Reply created = send(request("/api/v1alpha1/lock").POST(HttpRequest.BodyPublishers.ofString(
				lockBody("curl-style", "ci"))));
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");
		// a page served by the same server, and a URL typed into the address bar
		assertThat(send(request("/api/v1alpha1/lock/" + id).header("Origin", "http://localhost:" + this.port)
			.header("Sec-Fetch-Site", "same-origin")
			.GET()).status()).isEqualTo(200);
		assertThat(send(request("/api/v1alpha1/locks/list").header("Sec-Fetch-Site", "none").GET()).status())
			.isEqualTo(200);
		assertThat(send(request("/api/v1alpha1/unlock/" + id).header("Origin", "http://LOCALHOST:" + this.port)
			.GET()).status()).isEqualTo(200);
		assertThat(heldCount()).isZero();
	}

}
