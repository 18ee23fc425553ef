package dev.locksmith.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checker on a history recorded by a real run (Redis, four restarts without persistence, seed 1130):
 * restarts wiped live leases, so holders kept believing until their next renewal (believed overlaps,
 * all caught by the store, late loss reports), and one holder's release raced Redis's reconnection and
 * threw instead of reporting the loss.
 */
class RecordedHistoryTests {

	@Test
	void redisRestartsWipeLeasesThatTheStoreStillFences() throws IOException {
		Checker.Report report = new Checker(Replay.settings(Duration.ofMillis(1500)))
			.check(read("histories/redis-restart-1130.history.gz"));
		assertThat(report.faults()).isEqualTo(4);
		assertThat(report.staleAccepted()).isZero();
		assertThat(report.overlapsNotCaught()).isZero();
		assertThat(report.believedOverlaps()).isEqualTo(4);
		assertThat(report.lateLoss()).isEqualTo(4);
		assertThat(report.missingLoss()).isZero();
		assertThat(report.failed(true, true)).isFalse();
		assertThat(report.failed(true, false)).isTrue();
	}

	private static List<Event> read(String resource) throws IOException {
		try (InputStream in = RecordedHistoryTests.class.getClassLoader().getResourceAsStream(resource);
				BufferedReader lines = new BufferedReader(
						new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
			return lines.lines().filter((line) -> !line.isBlank()).map(Event::parse).toList();
		}
	}

}
