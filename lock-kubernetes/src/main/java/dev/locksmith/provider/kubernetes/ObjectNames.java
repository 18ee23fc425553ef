package dev.locksmith.provider.kubernetes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Maps lock keys to Lease object names. A name must be a DNS-1123 subdomain (lower-case letters, digits,
 * {@code -} and {@code .}, at most 253 characters), which most keys are not ({@code orders:42}). So every name
 * is the prefix, a readable slug of the key (its first 40 characters, lower-cased, everything but letters and
 * digits turned into {@code -}) and the first 20 hex digits (80 bits) of the key's SHA-256: deterministic, at
 * most 101 characters, and distinct for distinct keys unless SHA-256 collides in 80 bits. The object keeps the
 * original key in an annotation, and the provider refuses an object whose annotation names another key.
 *
 * <p>With {@code verbatim} names (Mutex objects, which people name and inspect by hand:
 * {@code kubectl get mutex db-migration}) a key that is already a DNS-1123 label of at most 63 characters and does
 * not start with the prefix is its own object name; every other key is named as above. The two sets cannot meet:
 * derived names always start with the prefix, verbatim ones never do.
 */
final class ObjectNames {

	private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

	private static final int SLUG_CHARS = 40;

	private static final int HASH_HEX_DIGITS = 20;

	private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

	private final String prefix;

	private final boolean verbatim;

	ObjectNames(String prefix) {
		this(prefix, false);
	}

	ObjectNames(String prefix, boolean verbatim) {
		if (!PREFIX.matcher(prefix).matches()) {
			throw new IllegalArgumentException("locksmith.kubernetes.name-prefix must be 1 to 40 lower-case letters, "
					+ "digits or '-', starting with a letter or digit, but was '" + prefix + "'");
		}
		this.prefix = prefix;
		this.verbatim = verbatim;
	}

	String prefix() {
		return this.prefix;
	}

	/** Returns the object name of a key. */
	String of(String key) {
		if (this.verbatim && LABEL.matcher(key).matches() && !key.startsWith(this.prefix)) {
			return key;
		}
		StringBuilder slug = new StringBuilder(SLUG_CHARS);
		String lower = key.toLowerCase(Locale.ROOT);
		for (int i = 0; i < lower.length() && slug.length() < SLUG_CHARS; i++) {
			char c = lower.charAt(i);
			slug.append(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '-');
		}
		return this.prefix + slug + "-" + sha256(key).substring(0, HASH_HEX_DIGITS);
	}

	private static String sha256(String key) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			return HexFormat.of().formatHex(digest.digest(key.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
		}
	}

}
