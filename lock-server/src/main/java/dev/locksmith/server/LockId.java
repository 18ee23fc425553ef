package dev.locksmith.server;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The opaque id of a service lock: the service name and the backend's lease id, so that any instance can
 * find the lease without local state. Encoded as {@code base64url(service) + "." + leaseId} (no padding),
 * which is safe in URL paths and shell variables.
 *
 * @param service the service name
 * @param leaseId the lease id in the backend
 */
public record LockId(String service, String leaseId) {

	private static final Pattern LEASE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

	private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+");

	/**
	 * Validates the components.
	 *
	 * @param service the service name
	 * @param leaseId the lease id in the backend
	 */
	public LockId {
		Objects.requireNonNull(service, "service");
		Objects.requireNonNull(leaseId, "leaseId");
		if (!LEASE_ID.matcher(leaseId).matches()) {
			throw new IllegalArgumentException("LockId leaseId must be 1 to 64 URL-safe characters, was '" + leaseId
					+ "'");
		}
	}

	/**
	 * Returns whether a backend lease id can be part of a lock id.
	 * @param leaseId the lease id
	 * @return {@code true} if it is 1 to 64 URL-safe characters
	 */
	static boolean isLeaseId(String leaseId) {
		return LEASE_ID.matcher(leaseId).matches();
	}

	/**
	 * Returns the id as clients see it.
	 * @return the encoded id
	 */
	public String encode() {
		return Base64.getUrlEncoder().withoutPadding().encodeToString(this.service.getBytes(StandardCharsets.UTF_8))
				+ "." + this.leaseId;
	}

	/**
	 * Decodes an id from a client. Anything this service could not have issued is empty.
	 * @param id the id as given, may be null
	 * @return the id, or empty if malformed
	 */
	public static Optional<LockId> parse(@Nullable String id) {
		if (id == null || id.length() > 1024) {
			return Optional.empty();
		}
		int dot = id.indexOf('.');
		if (dot <= 0 || dot != id.lastIndexOf('.')) {
			return Optional.empty();
		}
		String encodedService = id.substring(0, dot);
		String leaseId = id.substring(dot + 1);
		if (!BASE64URL.matcher(encodedService).matches() || !LEASE_ID.matcher(leaseId).matches()) {
			return Optional.empty();
		}
		try {
			byte[] bytes = Base64.getUrlDecoder().decode(encodedService);
			String service = StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(bytes))
				.toString();
			if (ServiceLocks.checkName(service) != null || !service.equals(ServiceLocks.normalise(service))) {
				return Optional.empty();
			}
			return Optional.of(new LockId(service, leaseId));
		}
		catch (IllegalArgumentException | CharacterCodingException ex) {
			return Optional.empty();
		}
	}

}
