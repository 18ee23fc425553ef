package dev.locksmith.provider.redis;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;

/**
 * Encodes the part of a lease's hash value that the client supplies (owner and metadata) and decodes a
 * whole value ({@code expiresAtMs|token|lockedAtMs|type|permits|owner|metadata}) for inspection. Owner,
 * metadata keys and values are URL-encoded, so they never contain the separators {@code |}, {@code &},
 * {@code =}.
 */
final class LeaseCodec {

	private LeaseCodec() {
	}

	/**
	 * Returns the one-letter code of a lease type, as the scripts use it.
	 * @param type the lease type
	 * @return {@code W}, {@code R} or {@code P}
	 */
	static String typeCode(LeaseType type) {
		return switch (type) {
			case WRITE -> "W";
			case READ -> "R";
			case PERMITS -> "P";
		};
	}

	/**
	 * Encodes the owner and metadata.
	 * @param owner the owner id
	 * @param metadata the metadata
	 * @return {@code owner|k=v&k=v}, URL-encoded
	 */
	static String encodeTail(String owner, Map<String, String> metadata) {
		StringBuilder tail = new StringBuilder(owner.length() + 16).append(encode(owner)).append('|');
		boolean first = true;
		for (Map.Entry<String, String> entry : metadata.entrySet()) {
			if (!first) {
				tail.append('&');
			}
			tail.append(encode(entry.getKey())).append('=').append(encode(entry.getValue()));
			first = false;
		}
		return tail.toString();
	}

	/**
	 * Decodes one lease.
	 * @param leaseId the hash field
	 * @param value the hash value
	 * @return the lease
	 * @throws IllegalStateException if the value is not in the expected format
	 */
	static LeaseInfo decode(String leaseId, String value) {
		String[] parts = value.split("\\|", 7);
		if (parts.length != 7) {
			throw new IllegalStateException("Unexpected lease value for lease " + leaseId + ": " + value);
		}
		Instant expiresAt = Instant.ofEpochMilli(Long.parseLong(parts[0]));
		long token = Long.parseLong(parts[1]);
		Instant lockedAt = Instant.ofEpochMilli(Long.parseLong(parts[2]));
		LeaseType type = switch (parts[3]) {
			case "W" -> LeaseType.WRITE;
			case "R" -> LeaseType.READ;
			case "P" -> LeaseType.PERMITS;
			default -> throw new IllegalStateException("Unknown lease type '" + parts[3] + "' of lease " + leaseId);
		};
		int permits = Integer.parseInt(parts[4]);
		String owner = decode(parts[5]);
		Map<String, String> metadata = new LinkedHashMap<>();
		if (!parts[6].isEmpty()) {
			for (String pair : parts[6].split("&")) {
				int eq = pair.indexOf('=');
				metadata.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
			}
		}
		return new LeaseInfo(leaseId, owner, type, permits, token, lockedAt, expiresAt, metadata);
	}

	private static String encode(String text) {
		return URLEncoder.encode(text, StandardCharsets.UTF_8);
	}

	private static String decode(String text) {
		return URLDecoder.decode(text, StandardCharsets.UTF_8);
	}

}
