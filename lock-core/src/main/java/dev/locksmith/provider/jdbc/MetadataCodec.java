package dev.locksmith.provider.jdbc;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stores a lease's metadata map in one text column as {@code k1=v1&k2=v2}, URL-encoded and sorted by key.
 */
final class MetadataCodec {

	private MetadataCodec() {
	}

	/**
	 * Encodes a map.
	 * @param metadata the map
	 * @return the text (empty for an empty map)
	 */
	static String encode(Map<String, String> metadata) {
		StringBuilder text = new StringBuilder();
		new TreeMap<>(metadata).forEach((name, value) -> {
			if (text.length() > 0) {
				text.append('&');
			}
			text.append(URLEncoder.encode(name, StandardCharsets.UTF_8))
				.append('=')
				.append(URLEncoder.encode(value, StandardCharsets.UTF_8));
		});
		return text.toString();
	}

	/**
	 * Decodes text written by {@link #encode}.
	 * @param text the text (may be {@code null} or empty)
	 * @return the map
	 */
	static Map<String, String> decode(String text) {
		Map<String, String> metadata = new LinkedHashMap<>();
		if (text == null || text.isEmpty()) {
			return metadata;
		}
		for (String pair : text.split("&")) {
			int eq = pair.indexOf('=');
			String name = (eq >= 0) ? pair.substring(0, eq) : pair;
			String value = (eq >= 0) ? pair.substring(eq + 1) : "";
			metadata.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
		}
		return metadata;
	}

}
