package dev.locksmith.faults;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fenced store over HTTP: writes need a token at least as high as every accepted write and read,
 * reads one at least as high as every accepted write; every attempt is recorded.
 */
class FencedStoreTests {

	@Test
	void acceptsOnlyTokensAtLeastTheHighestAndRecordsEveryAttempt(@TempDir Path directory) throws Exception {
		Path history = directory.resolve("store.history");
		try (FencedStore store = new FencedStore(history)) {
			HttpClient http = HttpClient.newHttpClient();
			assertThat(call(http, store.uri(), "m0", 5, "write", 1)).isEqualTo("accepted");
			assertThat(call(http, store.uri(), "m0", 5, "write", 2)).isEqualTo("accepted");
			assertThat(call(http, store.uri(), "m0", 4, "write", 3)).isEqualTo("rejected");
			assertThat(call(http, store.uri(), "m1", 1, "write", 4)).isEqualTo("accepted");
			assertThat(call(http, store.uri(), "m0", 7, "read", 5)).isEqualTo("accepted");
			assertThat(call(http, store.uri(), "m0", 6, "read", 6)).isEqualTo("accepted");
			assertThat(call(http, store.uri(), "m0", 6, "write", 7)).isEqualTo("rejected");
			assertThat(call(http, store.uri(), "m0", 8, "write", 8)).isEqualTo("accepted");
			assertThat(call(http, store.uri(), "m0", 7, "read", 9)).isEqualTo("rejected");
		}
		List<Event> events = Replay.readHistories(directory);
		assertThat(events).hasSize(9);
		assertThat(events).extracting(Event::value)
			.containsExactly("accepted", "accepted", "rejected", "accepted", "accepted", "accepted", "rejected",
					"accepted", "rejected");
		assertThat(events).extracting(Event::id).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
	}

	private static String call(HttpClient http, URI store, String key, long token, String mode, long id)
			throws Exception {
		HttpRequest request = HttpRequest
			.newBuilder(store.resolve("/write?key=" + key + "&token=" + token + "&lease=L&id=" + id + "&mode=" + mode))
			.build();
		return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
	}

}
