package dev.locksmith.server;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Lock id encoding and duration parsing.
 */
class LockIdTests {

	@ParameterizedTest
	@ValueSource(strings = { "production-deployment", "a", "with space/and slash", "ünïcødé ✓", "dots.in.name" })
	void roundTrips(String service) {
		LockId id = new LockId(service, "2b183969-8abc-4762-91c8-85e8f1fb61ae");
		String encoded = id.encode();
		assertThat(encoded).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
		assertThat(LockId.parse(encoded)).contains(id);
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "null", "abc", ".", "a.", ".b", "a.b.c", "a b.c", "YQ.with space", "YQ==.abc",
			"_w.abc", "IA.abc" })
	void rejectsWhatItCouldNotHaveIssued(String id) {
		// "_w" decodes to invalid UTF-8; "IA" decodes to a blank service name
		assertThat(LockId.parse(id)).isEmpty();
	}

	@Test
	void parsesDurations() {
		assertThat(Durations.parse("ttl", "500ms")).isEqualTo(Duration.ofMillis(500));
		assertThat(Durations.parse("ttl", "30s")).isEqualTo(Duration.ofSeconds(30));
		assertThat(Durations.parse("ttl", "10m")).isEqualTo(Duration.ofMinutes(10));
		assertThat(Durations.parse("ttl", "1h")).isEqualTo(Duration.ofHours(1));
		assertThat(Durations.parse("ttl", "2d")).isEqualTo(Duration.ofDays(2));
		assertThat(Durations.parse("ttl", "PT1M30S")).isEqualTo(Duration.ofSeconds(90));
		assertThat(Durations.parse("ttl", "30")).as("a bare number means seconds, as in the CLI")
			.isEqualTo(Duration.ofSeconds(30));
		assertThat(Durations.parse("ttl", "")).isNull();
		assertThat(Durations.parse("ttl", null)).isNull();
		for (String bad : new String[] { "1.5s", "-1s", "PT-5S", "soon", "1 h" }) {
			assertThatExceptionOfType(LockServiceException.class).as(bad)
				.isThrownBy(() -> Durations.parse("wait", bad))
				.satisfies((ex) -> assertThat(ex.field()).isEqualTo("wait"))
				.withMessageContaining("wait");
		}
	}

}
