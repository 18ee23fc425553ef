package dev.locksmith.server;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Parses the durations clients send: a number with a unit ({@code 500ms}, {@code 30s}, {@code 10m},
 * {@code 1h}, {@code 1d}) or ISO-8601 ({@code PT10M}).
 */
final class Durations {

	private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

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
		String value = text.trim().toLowerCase(Locale.ROOT);
		Matcher simple = SIMPLE.matcher(value);
		if (simple.matches()) {
			long amount = Long.parseLong(simple.group(1));
			return switch (simple.group(2)) {
				case "ms" -> Duration.ofMillis(amount);
				case "s" -> Duration.ofSeconds(amount);
				case "m" -> Duration.ofMinutes(amount);
				case "h" -> Duration.ofHours(amount);
				default -> Duration.ofDays(amount);
			};
		}
		if (value.startsWith("p") || value.startsWith("-p")) {
			try {
				Duration duration = Duration.parse(value.toUpperCase(Locale.ROOT));
				if (duration.isNegative()) {
					throw LockServiceException.badRequest(field, field + " must not be negative, was '" + text + "'");
				}
				return duration;
			}
			catch (DateTimeParseException ex) {
				// fall through to the error below
			}
		}
		throw LockServiceException.badRequest(field,
				field + " is not a duration: '" + text + "' (use for example 30s, 10m, 1h or PT10M)");
	}

}
