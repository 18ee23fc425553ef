package dev.locksmith.cli;

import java.text.Normalizer;
import java.util.Locale;

/**
 * Mutex names and holders as the lock service reads them: surrounding whitespace stripped, Unicode NFC,
 * and no character that cannot be seen (controls, format characters such as zero-width spaces, line
 * separators, spaces other than U+0020, unpaired surrogates, private-use or unassigned code points,
 * variation selectors and fillers). The same rules as the service, checked here first so that a bad name is
 * a usage error (exit 2) and {@code unlock}/{@code get} find the mutex under its normalised name.
 */
final class Names {

	private Names() {
	}

	/**
	 * Normalises and checks a name or holder.
	 * @param what the argument, for the message ({@code "mutex name"}, {@code "--holder"})
	 * @param value the value as given
	 * @return the normalised value
	 * @throws CliException (exit 2) if the value is blank or contains an invisible character
	 */
	static String normalise(String what, String value) {
		String normalised = Normalizer.normalize(value.strip(), Normalizer.Form.NFC);
		if (normalised.isEmpty()) {
			throw new CliException(2, what + " must not be blank");
		}
		for (int i = 0; i < normalised.length();) {
			int codePoint = normalised.codePointAt(i);
			if (isInvisible(codePoint)) {
				throw new CliException(2, String.format(Locale.ROOT,
						"%s must not contain control, format or invisible characters (U+%04X at position %d)", what,
						codePoint, i + 1));
			}
			i += Character.charCount(codePoint);
		}
		return normalised;
	}

	private static boolean isInvisible(int codePoint) {
		return switch (Character.getType(codePoint)) {
			case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
					Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR ->
				true;
			case Character.SPACE_SEPARATOR -> codePoint != ' ';
			// default-ignorable code points that Unicode files under letters or marks, and symbols drawn blank
			// (braille pattern blank, musical null notehead)
			default -> codePoint == 0x2800 || codePoint == 0x1D159 || codePoint == 0x034F || codePoint == 0x115F || codePoint == 0x1160 || codePoint == 0x17B4
					|| codePoint == 0x17B5 || (codePoint >= 0x180B && codePoint <= 0x180F) || codePoint == 0x3164
					|| (codePoint >= 0xFE00 && codePoint <= 0xFE0F) || codePoint == 0xFFA0
					|| (codePoint >= 0xE0100 && codePoint <= 0xE01EF);
		};
	}

}
