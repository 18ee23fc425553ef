package dev.locksmith.spi;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys in messages and log lines: a short prefix, line breaks escaped.
 */
class KeyTextTests {

	@Test
	void shortKeysAreKept() {
		assertThat(KeyText.forMessage("orders:42")).isEqualTo("orders:42");
	}

	@Test
	void longKeysAreCutToAPrefixNamingTheirLength() {
		String text = KeyText.forMessage("k".repeat(1024 * 1024));
		assertThat(text).startsWith("k".repeat(64)).doesNotContain("k".repeat(65)).contains("1048576").hasSizeLessThan(100);
	}

	@Test
	void lineBreaksAndControlCharactersAreEscaped() {
		assertThat(KeyText.forMessage("a\r\nINFO forged\u0000")).isEqualTo("a\\r\\nINFO forged\\u0000");
	}

	@Test
	void nullIsNamed() {
		assertThat(KeyText.forMessage(null)).isEqualTo("null");
	}


	@Test
	void invisibleAndDirectionFormattingCharactersAreEscaped() {
		// a right-to-left override or a zero-width character could disguise a key in a log line
		assertThat(KeyText.forMessage("deploy\u202Etxt.exe")).isEqualTo("deploy\\u202etxt.exe");
		assertThat(KeyText.forMessage("a\u200Bb\u2066c")).isEqualTo("a\\u200bb\\u2066c");
	}

	@Test
	void surrogatePairsStayWhole() {
		assertThat(KeyText.forMessage("lock:\uD83D\uDD12")).isEqualTo("lock:\uD83D\uDD12");
	}

}
