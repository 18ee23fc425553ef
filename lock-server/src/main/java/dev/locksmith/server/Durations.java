package dev.locksmith.server;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockDurations;

/**
 * Parses the durations clients send (REST and gRPC) with the grammar shared with the CLI,
 * {@link LockDurations}: {@code 30} (seconds), {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h},
 * {@code 1d} or ISO-8601 ({@code PT10M}).
 */
final class Durations {

	private Durations() {
	}

	/**
	 * Parses a duration.
	 * @param field the request field, for the error message
	 * @param text the text; null or empty means "not given"
	 * @return the duration, or {@code null} if not given
	 * @throws LockServiceException (bad request) if the text is not a duration or is negative
	 */
	static @Nullable Duration parse(String field, @Nullable String text) {
		if (text == null || text.isEmpty()) {
			return null;
		}
		try {
			return LockDurations.parse(text);
		}
		catch (IllegalArgumentException ex) {
			throw LockServiceException.badRequest(field, field + ": " + ex.getMessage());
		}
	}

}
