package dev.locksmith.server.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;

/**
 * The gRPC server of the lock service: the lock service behind the token interceptor, plus server
 * reflection (v1 and v1alpha, so that every grpcurl version can discover it). Started and stopped with
 * the application context.
 */
public class GrpcLockServer implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(GrpcLockServer.class);

	private final GrpcLockService service;

	private final BearerTokenInterceptor interceptor;

	private final int port;

	private final int maxMessageSize;

	private volatile @Nullable Server server;

	/**
	 * Creates the server (not started).
	 * @param service the lock service
	 * @param interceptor the token check
	 * @param port the port, 0 for a free one
	 * @param maxMessageSize the largest inbound message, in bytes
	 */
	public GrpcLockServer(GrpcLockService service, BearerTokenInterceptor interceptor, int port, int maxMessageSize) {
		this.service = service;
		this.interceptor = interceptor;
		this.port = port;
		this.maxMessageSize = maxMessageSize;
	}

	@Override
	@SuppressWarnings("deprecation")
	public synchronized void start() {
		if (this.server != null) {
			return;
		}
		BindableService reflectionV1Alpha = io.grpc.protobuf.services.ProtoReflectionService.newInstance();
		Server started = Grpc.newServerBuilderForPort(this.port, InsecureServerCredentials.create())
			.addService(ServerInterceptors.intercept(this.service, this.interceptor))
			.addService(ProtoReflectionServiceV1.newInstance())
			.addService(reflectionV1Alpha)
			.maxInboundMessageSize(this.maxMessageSize)
			.build();
		try {
			started.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the lock service's gRPC server on port " + this.port
					+ " (locksmith.server.grpc.port)", ex);
		}
		this.server = started;
		logger.info("Lock service gRPC server (tracker.lock.v1alpha1.LockService) listening on port {}",
				started.getPort());
	}

	@Override
	public synchronized void stop() {
		Server running = this.server;
		if (running == null) {
			return;
		}
		this.server = null;
		running.shutdown();
		try {
			if (!running.awaitTermination(5, TimeUnit.SECONDS)) {
				running.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			running.shutdownNow();
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public boolean isRunning() {
		return this.server != null;
	}

	/**
	 * Returns the port the server listens on.
	 * @return the port, or -1 when not running
	 */
	public int getPort() {
		Server running = this.server;
		return (running != null) ? running.getPort() : -1;
	}

}
