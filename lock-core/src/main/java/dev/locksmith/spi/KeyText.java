package dev.locksmith.spi;

/**
 * Renders a lock key for exception messages and log lines: at most a short prefix of it, with line
 * breaks, other control characters and invisible formatting characters (such as the right-to-left
 * override) escaped, so a huge or hostile key can neither bloat a message nor forge or disguise a log
 * line.
 */
public final class KeyText {

	/** The most characters of a key that a message shows. */
	static final int MAX_CHARS = 64;

	private KeyText() {
	}

	/**
	 * Returns a short, escaped rendering of a key: its first characters (at most about 64), with CR, LF,
	 * tab, other control characters and formatting characters (Unicode category Cf) written as {@code \r},
	 * {@code \n}, {@code \t} or {@code \}{@code uXXXX},
	 * followed by "…" when the key was cut.
	 * @param key the key (may be {@code null})
	 * @return the rendering, {@code "null"} for {@code null}
	 */
	public static String forMessage(String key) {
		if (key == null) {
			return "null";
		}
		StringBuilder text = new StringBuilder(Math.min(key.length(), MAX_CHARS) + 8);
		int i = 0;
		while (i < key.length() && text.length() < MAX_CHARS) {
			char c = key.charAt(i);
			if (c == '\r') {
				text.append("\\r");
			}
			else if (c == '\n') {
				text.append("\\n");
			}
			else if (c == '\t') {
				text.append("\\t");
			}
			else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
					|| Character.getType(c) == Character.FORMAT) {
				text.append(String.format("\\u%04x", (int) c));
			}
			else if (Character.isHighSurrogate(c) && i + 1 < key.length()) {
				text.append(c).append(key.charAt(++i));
			}
			else {
				text.append(c);
			}
			i++;
		}
		if (i < key.length()) {
			text.append('…');
		}
		return text.toString();
	}

}
