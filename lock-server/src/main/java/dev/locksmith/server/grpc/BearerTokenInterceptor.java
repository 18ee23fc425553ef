package dev.locksmith.server.grpc;

import dev.locksmith.server.LockServiceException;
import dev.locksmith.server.ServiceLocks;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Refuses calls without the configured bearer token ({@code authorization: Bearer <token>} metadata) with
 * {@code UNAUTHENTICATED}, before the call reaches the service.
 */
public class BearerTokenInterceptor implements ServerInterceptor {

	private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
			Metadata.ASCII_STRING_MARSHALLER);

	private final ServiceLocks locks;

	/**
	 * Creates the interceptor.
	 * @param locks the lock service that knows the token
	 */
	public BearerTokenInterceptor(ServiceLocks locks) {
		this.locks = locks;
	}

	@Override
	public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
			ServerCallHandler<Q, R> next) {
		try {
			this.locks.authorize(headers.get(AUTHORIZATION));
		}
		catch (LockServiceException ex) {
			call.close(Status.UNAUTHENTICATED.withDescription(ex.getMessage()), new Metadata());
			return new ServerCall.Listener<>() {
			};
		}
		return next.startCall(call, headers);
	}

}
