package dev.locksmith;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The one duration grammar shared by the lock service and the CLI: one test per accepted form.
 */
class LockDurationsTests {

	@Test
	void aBareNumberMeansSeconds() {
		assertThat(LockDurations.parse("30")).isEqualTo(Duration.ofSeconds(30));
		assertThat(LockDurations.parse("0")).isZero();
	}

	@Test
	void nanoseconds() {
		assertThat(LockDurations.parse("250ns")).isEqualTo(Duration.ofNanos(250));
	}

	@Test
	void microseconds() {
		assertThat(LockDurations.parse("100us")).isEqualTo(Duration.ofNanos(100_000));
	}

	@Test
	void milliseconds() {
		assertThat(LockDurations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
	}

	@Test
	void seconds() {
		assertThat(LockDurations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void minutes() {
		assertThat(LockDurations.parse("10m")).isEqualTo(Duration.ofMinutes(10));
	}

	@Test
	void hours() {
		assertThat(LockDurations.parse("1h")).isEqualTo(Duration.ofHours(1));
	}

	@Test
	void days() {
		assertThat(LockDurations.parse("2d")).isEqualTo(Duration.ofDays(2));
	}

	@Test
	void unitsAreCaseInsensitiveAndSpaceAroundIsIgnored() {
		assertThat(LockDurations.parse(" 10M ")).isEqualTo(Duration.ofMinutes(10));
		assertThat(LockDurations.parse("500MS")).isEqualTo(Duration.ofMillis(500));
	}

	@Test
	void anExplicitPlusSign() {
		assertThat(LockDurations.parse("+30s")).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void iso8601() {
		assertThat(LockDurations.parse("PT30S")).isEqualTo(Duration.ofSeconds(30));
		assertThat(LockDurations.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
		assertThat(LockDurations.parse("pt0.5s")).isEqualTo(Duration.ofMillis(500));
		assertThat(LockDurations.parse("P1DT2H")).isEqualTo(Duration.ofHours(26));
	}

	@ParameterizedTest
	@ValueSource(strings = { "", " ", "soon", "1.5s", "1 h", "30x", "-1s", "-30", "PT-5S", "-PT5S", "P",
			"9999999999999999999", "999999999999999999d" })
	void anythingElseIsRefusedWithTheAcceptedForms(String bad) {
		assertThatIllegalArgumentException().isThrownBy(() -> LockDurations.parse(bad))
			.withMessageContaining("'" + bad + "'");
	}

}
