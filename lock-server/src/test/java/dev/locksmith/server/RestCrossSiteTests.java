package dev.locksmith.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests a browser sends on behalf of another site (a {@code text/plain} form POST, an {@code <img>} on
 * {@code GET /unlock/{id}}) are refused with 403 and change nothing; scripts (no {@code Origin}, no
 * {@code Sec-Fetch-Site}) and same-origin pages keep working.
 */
@TestPropertySource(properties = "locksmith.server.browser-hosts=Locks.Example.test")
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

	@Test
	void aDnsRebindingPageIsRefused() throws IOException {
		// evil.example resolves to this server after the page has loaded: to the browser the request is
		// same-origin, so Origin and Host agree on a name the server is not known by
		String host = "rebind.evil.example:" + this.port;
		String body = lockBody("rebound", "victim");
		String post = "POST /api/v1alpha1/lock HTTP/1.1\r\nHost: " + host + "\r\nOrigin: http://" + host
				+ "\r\nSec-Fetch-Site: same-origin\r\nContent-Type: text/plain\r\nContent-Length: "
				+ body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
		assertThat(rawStatus(post)).isEqualTo(403);
		String list = "GET /api/v1alpha1/locks/list HTTP/1.1\r\nHost: " + host
				+ "\r\nSec-Fetch-Site: same-origin\r\nConnection: close\r\n\r\n";
		assertThat(rawStatus(list)).as("reading the ids to unlock them").isEqualTo(403);
		assertThat(heldCount()).isZero();
		// the same from a page the server serves under a loopback name works, and a script is never affected
		String local = "GET /api/v1alpha1/locks/list HTTP/1.1\r\nHost: localhost:" + this.port
				+ "\r\nSec-Fetch-Site: same-origin\r\nConnection: close\r\n\r\n";
		assertThat(rawStatus(local)).isEqualTo(200);
		String configured = "GET /api/v1alpha1/locks/list HTTP/1.1\r\nHost: locks.example.TEST:" + this.port
				+ "\r\nOrigin: http://locks.example.TEST:" + this.port
				+ "\r\nSec-Fetch-Site: same-origin\r\nConnection: close\r\n\r\n";
		assertThat(rawStatus(configured)).as("a name in locksmith.server.browser-hosts").isEqualTo(200);
		String script = "GET /api/v1alpha1/locks/list HTTP/1.1\r\nHost: " + host
				+ "\r\nConnection: close\r\n\r\n";
		assertThat(rawStatus(script)).isEqualTo(200);
	}

	/** Sends a hand-written HTTP/1.1 request (the JDK client will not set Host) and returns the status. */
	private int rawStatus(String request) throws IOException {
		try (Socket socket = new Socket("localhost", this.port)) {
			socket.setSoTimeout(10_000);
			OutputStream out = socket.getOutputStream();
			out.write(request.getBytes(StandardCharsets.UTF_8));
			out.flush();
			InputStream in = socket.getInputStream();
			String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
			return Integer.parseInt(reply.substring(9, 12));
		}
	}

}
