package dev.locksmith.api;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.locksmith.Backoff;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Options and backoff: validation and the defaulting rules.
 */
class LockOptionsTests {

	@Test
	void anExplicitTtlMeansAFixedLeaseUnlessAutoExtendIsSet() {
		LockOptions defaults = Locksmith.libraryDefaults();
		assertThat(LockOptions.defaults().orElse(defaults).autoExtend()).isTrue();
		assertThat(LockOptions.ttl(Duration.ofSeconds(5)).orElse(defaults).autoExtend()).isFalse();
		assertThat(LockOptions.ttl(Duration.ofSeconds(5)).withAutoExtend(true).orElse(defaults).autoExtend())
			.isTrue();
		assertThat(LockOptions.waitTime(Duration.ZERO).orElse(defaults).autoExtend()).isTrue();
	}

	@Test
	void unsetValuesComeFromTheDefaults() {
		LockOptions resolved = LockOptions.waitTime(Duration.ofSeconds(1)).orElse(Locksmith.libraryDefaults());
		assertThat(resolved.ttl()).isEqualTo(Duration.ofSeconds(30));
		assertThat(resolved.waitTime()).isEqualTo(Duration.ofSeconds(1));
		assertThat(resolved.backoff()).isEqualTo(Backoff.defaults());
		assertThat(resolved.minHold()).isEqualTo(Duration.ZERO);
		assertThat(resolved.name()).isNull();
	}

	@Test
	void invalidValuesAreRejectedNamingTheOption() {
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.ttl(null)).withMessageContaining("ttl");
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.defaults().withMinHold(Duration.ofSeconds(-1)))
			.withMessageContaining("minHold");
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.defaults().withName(" "))
			.withMessageContaining("name");
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.defaults().withMetadata(" ", "v"))
			.withMessageContaining("metadata");
		Map<String, String> withNull = new HashMap<>();
		withNull.put("k", null);
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.defaults().withMetadata(withNull))
			.withMessageContaining("'k'");
	}

	@Test
	void metadataIsCopiedAndImmutable() {
		Map<String, String> source = new HashMap<>(Map.of("a", "1"));
		LockOptions options = LockOptions.defaults().withMetadata(source);
		source.put("b", "2");
		assertThat(options.metadata()).containsExactly(Map.entry("a", "1"));
		assertThat(options.withMetadata("b", "2").metadata()).hasSize(2);
		assertThat(options.metadata()).hasSize(1);
	}

	@Test
	void backoffGrowsToItsMaximumWithinTheJitter() {
		Backoff backoff = Backoff.of(Duration.ofMillis(10), Duration.ofMillis(100), 2, 0.1, 0);
		for (int i = 0; i < 100; i++) {
			assertThat(backoff.delayNanos(1)).isBetween(9_000_000L, 11_000_000L);
			assertThat(backoff.delayNanos(2)).isBetween(18_000_000L, 22_000_000L);
			assertThat(backoff.delayNanos(10)).isBetween(90_000_000L, 110_000_000L);
		}
		Backoff exact = Backoff.of(Duration.ofMillis(10), Duration.ofMillis(100), 3, 0, 2);
		assertThat(exact.delayNanos(3)).isEqualTo(90_000_000L);
		assertThat(exact.allowsAnotherAttempt(1)).isTrue();
		assertThat(exact.allowsAnotherAttempt(2)).isFalse();
		assertThat(Backoff.defaults().allowsAnotherAttempt(1_000_000)).isTrue();
	}

	@Test
	void invalidBackoffIsRejected() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Backoff.of(Duration.ZERO, Duration.ofSeconds(1), 2, 0.1, 0))
			.withMessageContaining("initialDelay");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0.1, 0))
			.withMessageContaining("maxDelay");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Backoff.of(Duration.ofMillis(1), Duration.ofSeconds(1), 0.5, 0.1, 0))
			.withMessageContaining("multiplier");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Backoff.of(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 1.5, 0))
			.withMessageContaining("jitter");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Backoff.of(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 0.1, -1))
			.withMessageContaining("maxAttempts");
	}

	@Test
	void aBackoffWithAnEndlessMaximumDelaySaturatesInsteadOfOverflowing() {
		dev.locksmith.Backoff backoff = dev.locksmith.Backoff.of(Duration.ofMillis(1),
				java.time.temporal.ChronoUnit.FOREVER.getDuration(), 2, 0, 0);
		assertThat(backoff.delayNanos(1)).isEqualTo(1_000_000L);
		assertThat(backoff.delayNanos(200)).isEqualTo(Long.MAX_VALUE);
	}

	@Test
	void boundsAreNamedInTheErrors() {
		assertThatThrownBy(() -> LockOptions.ttl(Duration.ofDays(366))).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("LockOptions.withTtl")
			.hasMessageContaining("365 days");
		assertThatThrownBy(() -> LockOptions.ttl(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("1 ms");
		assertThat(LockOptions.ttl(Duration.ofMillis(1)).ttl()).isEqualTo(Duration.ofMillis(1));
		assertThat(LockOptions.ttl(Duration.ofDays(365)).ttl()).isEqualTo(Duration.ofDays(365));
		assertThat(LockOptions.defaults().withMinHold(Duration.ofDays(365)).minHold()).isEqualTo(Duration.ofDays(365));
		assertThat(LockOptions.waitTime(java.time.temporal.ChronoUnit.FOREVER.getDuration()).waitTime())
			.isEqualTo(LockOptions.MAX_WAIT_TIME);
	}

}
