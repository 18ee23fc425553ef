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
 * reflection (v1 and v1alpha, so that every grpcurl version can discover it), on a bounded pool of
 * threads ({@link CallAdmission}). Started and stopped with the application context.
 */
public class GrpcLockServer implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(GrpcLockServer.class);

	private final GrpcLockService service;

	private final BearerTokenInterceptor interceptor;

	private final int port;

	private final int maxMessageSize;

	private final int maxThreads;

	private final int queueCapacity;

	private volatile @Nullable Server server;

	private @Nullable CallAdmission admission;

	/**
	 * Creates the server (not started).
	 * @param service the lock service
	 * @param interceptor the token check
	 * @param port the port, 0 for a free one
	 * @param maxMessageSize the largest inbound message, in bytes
	 * @param maxThreads threads that run calls
	 * @param queueCapacity calls that may wait for a thread; more are refused with {@code RESOURCE_EXHAUSTED}
	 */
	public GrpcLockServer(GrpcLockService service, BearerTokenInterceptor interceptor, int port, int maxMessageSize,
			int maxThreads, int queueCapacity) {
		this.service = service;
		this.interceptor = interceptor;
		this.port = port;
		this.maxMessageSize = maxMessageSize;
		this.maxThreads = maxThreads;
		this.queueCapacity = queueCapacity;
	}

	@Override
	@SuppressWarnings("deprecation")
	public synchronized void start() {
		if (this.server != null) {
			return;
		}
		BindableService reflectionV1Alpha = io.grpc.protobuf.services.ProtoReflectionService.newInstance();
		CallAdmission calls = new CallAdmission(this.maxThreads, this.queueCapacity);
		Server started = Grpc.newServerBuilderForPort(this.port, InsecureServerCredentials.create())
			.addService(ServerInterceptors.intercept(this.service, this.interceptor))
			.addService(ProtoReflectionServiceV1.newInstance())
			.addService(reflectionV1Alpha)
			.maxInboundMessageSize(this.maxMessageSize)
			// transport callbacks run directly; every call then runs on the bounded pool or is refused
			.directExecutor()
			.callExecutor(calls)
			.intercept(calls) // added last: runs first
			.build();
		try {
			started.start();
		}
		catch (IOException ex) {
			calls.shutdown();
			throw new UncheckedIOException("Could not start the lock service's gRPC server on port " + this.port
					+ " (locksmith.server.grpc.port)", ex);
		}
		this.server = started;
		this.admission = calls;
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
		CallAdmission calls = this.admission;
		if (calls != null) {
			calls.shutdown();
			this.admission = null;
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
