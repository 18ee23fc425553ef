package dev.locksmith.provider.kubernetes;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 409 backoff is bounded: no pause after a first conflict, growing bounds after that, never more than
 * {@link ConflictBackoff#MAX_PAUSE_MILLIS}, and all {@link KubernetesLockProvider#MAX_ATTEMPTS} attempts of one
 * call pause for at most about two seconds together.
 */
class ConflictBackoffTests {

	@Test
	void theFirstReReadIsImmediateAndLaterPausesAreBoundedAndJittered() {
		assertThat(ConflictBackoff.pauseMicros(1, 0.999)).isZero();
		assertThat(ConflictBackoff.pauseMicros(2, 0.999)).isBetween(900L, 1_000L);
		assertThat(ConflictBackoff.pauseMicros(3, 0.999)).isBetween(1_900L, 2_000L);
		assertThat(ConflictBackoff.pauseMicros(2, 0.0)).isZero();
		assertThat(ConflictBackoff.pauseMicros(Integer.MAX_VALUE, 0.999))
			.isLessThanOrEqualTo(ConflictBackoff.MAX_PAUSE_MILLIS * 1000);
		long worstCase = 0;
		for (int conflicts = 1; conflicts <= KubernetesLockProvider.MAX_ATTEMPTS; conflicts++) {
			worstCase += ConflictBackoff.pauseMicros(conflicts, 0.999_999);
		}
		assertThat(worstCase).isLessThan(2_100_000L);
	}

	@Test
	void aFailedWatchStartIsRetriedAfterABoundedGrowingDelay() {
		assertThat(KubernetesReleaseWatch.retryDelayMillis(0, 0.0)).isEqualTo(KubernetesReleaseWatch.FIRST_RETRY_MILLIS);
		assertThat(KubernetesReleaseWatch.retryDelayMillis(1, 0.0))
			.isEqualTo(2 * KubernetesReleaseWatch.FIRST_RETRY_MILLIS);
		assertThat(KubernetesReleaseWatch.retryDelayMillis(1, 0.999))
			.isGreaterThan(KubernetesReleaseWatch.FIRST_RETRY_MILLIS);
		assertThat(KubernetesReleaseWatch.retryDelayMillis(Integer.MAX_VALUE, 0.0))
			.isEqualTo(KubernetesReleaseWatch.MAX_RETRY_MILLIS);
	}

}
