package dev.locksmith.spi;

/**
 * Puts a lock key into an exception message or a log line safely: at most a short prefix of it (a key may
 * be megabytes long when the input is bad), with line breaks and other control characters escaped so that a
 * key cannot forge log lines.
 */
public final class KeyText {

	/** How many characters of a key a message shows. */
	public static final int MAX_CHARS = 64;

	private KeyText() {
	}

	/**
	 * Returns the key as it may appear in a message: its first {@value #MAX_CHARS} characters with CR, LF, tab
	 * other control characters and invisible format characters (zero-width, direction overrides) escaped Java-style (a backslash and {@code r}, {@code n}, {@code t}, or
	 * {@code u} and four hex digits), and for a longer key the note {@code "… (N chars)"}.
	 * @param key the key, may be {@code null}
	 * @return the text to show
	 */
	public static String forMessage(String key) {
		if (key == null) {
			return "null";
		}
		int end = Math.min(key.length(), MAX_CHARS);
		if (end < key.length() && Character.isHighSurrogate(key.charAt(end - 1))) {
			end--;
		}
		StringBuilder text = new StringBuilder(end + 24);
		for (int i = 0; i < end; i++) {
			char c = key.charAt(i);
			switch (c) {
				case '\r' -> text.append("\\r");
				case '\n' -> text.append("\\n");
				case '\t' -> text.append("\\t");
				default -> {
					if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
							|| Character.getType(c) == Character.FORMAT) {
						text.append(String.format("\\u%04x", (int) c));
					}
					else {
						text.append(c);
					}
				}
			}
		}
		if (end < key.length()) {
			text.append("… (").append(key.length()).append(" chars)");
		}
		return text.toString();
	}

}
