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

}
