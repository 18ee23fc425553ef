package dev.locksmith.server;

import org.jspecify.annotations.Nullable;

/**
 * A request the lock service refuses, with the reason that decides the HTTP status and gRPC status code.
 */
public final class LockServiceException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * Why a request was refused.
	 */
	public enum Reason {

		/** Missing, blank or malformed input (HTTP 400, gRPC {@code INVALID_ARGUMENT}). */
		BAD_REQUEST,

		/** A token is configured and the request did not carry it (HTTP 401, gRPC {@code UNAUTHENTICATED}). */
		UNAUTHORIZED,

		/**
		 * A browser sent the request on behalf of another site (HTTP 403, gRPC {@code PERMISSION_DENIED}).
		 */
		FORBIDDEN,

		/** The id is unknown, released or expired (HTTP 404, gRPC {@code NOT_FOUND}). */
		NOT_FOUND,

		/** The service is locked by someone else (HTTP 409, gRPC {@code ALREADY_EXISTS}). */
		CONFLICT,

		/** The request body is larger than allowed (HTTP 413, gRPC {@code RESOURCE_EXHAUSTED}). */
		TOO_LARGE,

		/**
		 * A bound on waiting requests or server threads is reached (HTTP 503 with {@code Retry-After}, gRPC
		 * {@code RESOURCE_EXHAUSTED}).
		 */
		OVERLOADED

	}

	/** Why the request was refused. */
	private final Reason reason;

	/** The request field at fault, if any. */
	private final @Nullable String field;

	private final transient @Nullable ServiceLock existingLock;

	private LockServiceException(Reason reason, String message, @Nullable String field,
			@Nullable ServiceLock existingLock) {
		super(message);
		this.reason = reason;
		this.field = field;
		this.existingLock = existingLock;
	}

	/**
	 * Returns an exception for bad input in one field.
	 * @param field the request field (as the client spells it)
	 * @param message what is wrong, naming the field
	 * @return the exception
	 */
	public static LockServiceException badRequest(@Nullable String field, String message) {
		return new LockServiceException(Reason.BAD_REQUEST, message, field, null);
	}

	/**
	 * Returns an exception for a missing or wrong token.
	 * @return the exception
	 */
	public static LockServiceException unauthorized() {
		return new LockServiceException(Reason.UNAUTHORIZED, "missing or invalid bearer token", null, null);
	}

	/**
	 * Returns an exception for an id that does not name a held lock.
	 * @param id the id as given
	 * @return the exception
	 */
	public static LockServiceException notFound(String id) {
		return new LockServiceException(Reason.NOT_FOUND,
				"lock not found: '" + abbreviate(id) + "' is unknown, released or expired", "id", null);
	}

	/**
	 * Returns an exception for a request the server refuses to serve whoever sent it.
	 * @param message why, and what to do instead
	 * @return the exception
	 */
	public static LockServiceException forbidden(String message) {
		return new LockServiceException(Reason.FORBIDDEN, message, null, null);
	}

	/**
	 * Returns an exception for a service that is already locked.
	 * @param existingLock the current holder, or {@code null} if it could not be read
	 * @return the exception
	 */
	public static LockServiceException conflict(@Nullable ServiceLock existingLock) {
		return new LockServiceException(Reason.CONFLICT, "lock already exists", null, existingLock);
	}

	/**
	 * Returns an exception for a request body over the limit.
	 * @param limit the limit in bytes
	 * @return the exception
	 */
	public static LockServiceException tooLarge(long limit) {
		return new LockServiceException(Reason.TOO_LARGE, "request body is larger than " + limit + " bytes", null,
				null);
	}

	/**
	 * Returns an exception for a request refused because a bound is reached.
	 * @param message which bound, naming its property
	 * @return the exception
	 */
	public static LockServiceException overloaded(String message) {
		return new LockServiceException(Reason.OVERLOADED, message, null, null);
	}

	/**
	 * Returns why the request was refused.
	 * @return the reason
	 */
	public Reason reason() {
		return this.reason;
	}

	/**
	 * Returns the request field at fault, if one is.
	 * @return the field or {@code null}
	 */
	public @Nullable String field() {
		return this.field;
	}

	/**
	 * Returns the current holder, for {@link Reason#CONFLICT}.
	 * @return the holder or {@code null}
	 */
	public @Nullable ServiceLock existingLock() {
		return this.existingLock;
	}

	private static String abbreviate(String text) {
		return (text.length() <= 120) ? text : text.substring(0, 120) + "...";
	}

}
