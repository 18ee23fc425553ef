package dev.locksmith.spi;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys rendered for messages and logs: short, with every character that can forge or disguise a log line
 * escaped.
 */
class KeyTextTest {

	@Test
	void lineBreaksAndControlCharactersAreEscaped() {
		assertThat(KeyText.forMessage("a\r\nb\tc\u0000d\u2028e")).isEqualTo("a\\r\\nb\\tc\\u0000d\\u2028e");
	}

	@Test
	void invisibleAndDirectionFormattingCharactersAreEscaped() {
		// U+202E reverses the rest of a log line as displayed; U+200B and U+2066 are invisible.
		assertThat(KeyText.forMessage("deploy\u202Etxt.exe")).isEqualTo("deploy\\u202etxt.exe");
		assertThat(KeyText.forMessage("a\u200Bb\u2066c")).isEqualTo("a\\u200bb\\u2066c");
	}

	@Test
	void aLongKeyIsCutToAShortPrefix() {
		String text = KeyText.forMessage("k".repeat(1_000_000));
		assertThat(text).hasSizeLessThanOrEqualTo(KeyText.MAX_CHARS + 1).endsWith("…");
	}

	@Test
	void surrogatePairsStayWholeAndNullIsShown() {
		assertThat(KeyText.forMessage("lock:\uD83D\uDD12")).isEqualTo("lock:\uD83D\uDD12");
		assertThat(KeyText.forMessage(null)).isEqualTo("null");
	}

}
