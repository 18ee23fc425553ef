package dev.locksmith;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of the lock service (REST and gRPC), the CLI and {@code @DistributedLock}:
 * Spring Boot's {@code DurationStyle} forms, except that a bare number means seconds (the annotation
 * refuses a bare number instead, since Boot properties read one as milliseconds).
 *
 * <ul>
 * <li>a number with a unit: {@code 250ns}, {@code 100us}, {@code 500ms}, {@code 30s}, {@code 10m},
 * {@code 1h}, {@code 2d} (unit case-insensitive, an optional {@code +} sign);</li>
 * <li>a bare number of seconds: {@code 30};</li>
 * <li>ISO-8601: {@code PT30S}, {@code PT1M30S}, {@code P1DT2H} (case-insensitive).</li>
 * </ul>
 * A lock duration is never negative: {@code -5s} and {@code PT-5S} are refused. This class is free of
 * Spring so that the CLI can use it.
 */
public final class LockDurations {

	/** At most 18 digits, so that every amount fits a long before the unit is applied. */
	private static final Pattern SIMPLE = Pattern.compile("\\+?(\\d{1,18})(ns|us|ms|s|m|h|d)?");

	private static final Pattern ISO_8601 = Pattern.compile("[+-]?p.*");

	private LockDurations() {
	}

	/**
	 * Parses a lock duration.
	 * @param text the text, surrounding white space ignored
	 * @return the duration, zero or positive
	 * @throws IllegalArgumentException if the text is not a duration of this grammar, is negative or is too
	 * long for {@link Duration}; the message quotes the text and names the accepted forms
	 */
	public static Duration parse(String text) {
		String value = text.trim().toLowerCase(Locale.ROOT);
		Matcher simple = SIMPLE.matcher(value);
		try {
			if (simple.matches()) {
				long amount = Long.parseLong(simple.group(1));
				String unit = (simple.group(2) != null) ? simple.group(2) : "s";
				return Duration.of(amount, switch (unit) {
					case "ns" -> ChronoUnit.NANOS;
					case "us" -> ChronoUnit.MICROS;
					case "ms" -> ChronoUnit.MILLIS;
					case "s" -> ChronoUnit.SECONDS;
					case "m" -> ChronoUnit.MINUTES;
					case "h" -> ChronoUnit.HOURS;
					default -> ChronoUnit.DAYS;
				});
			}
			if (ISO_8601.matcher(value).matches()) {
				Duration duration = Duration.parse(value.toUpperCase(Locale.ROOT));
				if (duration.isNegative()) {
					throw new IllegalArgumentException("'" + text + "' is negative; a lock duration must not be");
				}
				return duration;
			}
		}
		catch (DateTimeParseException | ArithmeticException ex) {
			// reported below
		}
		throw new IllegalArgumentException("'" + text
				+ "' is not a duration (use 30 or 30s for seconds, 500ms, 10m, 1h, 1d, or ISO-8601 such as PT30S)");
	}

}
