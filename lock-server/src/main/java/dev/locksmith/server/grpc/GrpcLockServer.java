package dev.locksmith.server.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import dev.locksmith.server.LockServerProperties;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.context.SmartLifecycle;

/**
 * The gRPC server of the lock service: the lock service and server reflection (v1 and v1alpha, so that
 * every grpcurl version can discover it), all behind the token interceptor, on a bounded pool of threads
 * ({@link CallAdmission}); TLS from a Spring Boot SSL bundle, bound to the loopback address unless
 * {@code locksmith.server.grpc.address} says otherwise. Started and stopped with the application context.
 */
public class GrpcLockServer implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(GrpcLockServer.class);

	private final GrpcLockService service;

	private final BearerTokenInterceptor interceptor;

	private final LockServerProperties.Grpc settings;

	private final int maxMessageSize;

	private final @Nullable SslBundle ssl;

	private final @Nullable ThreadFactory threads;

	private volatile @Nullable Server server;

	private @Nullable CallAdmission admission;

	/**
	 * Creates the server (not started), running calls on daemon platform threads.
	 * @param service the lock service
	 * @param interceptor the token check, applied to every service (reflection included)
	 * @param settings address, port and thread bounds ({@code locksmith.server.grpc.*})
	 * @param maxMessageSize the largest inbound message, in bytes
	 * @param ssl the certificate and key to serve TLS with, or {@code null} for plaintext
	 */
	public GrpcLockServer(GrpcLockService service, BearerTokenInterceptor interceptor,
			LockServerProperties.Grpc settings, int maxMessageSize, @Nullable SslBundle ssl) {
		this(service, interceptor, settings, maxMessageSize, ssl, null);
	}

	/**
	 * Creates the server (not started).
	 * @param service the lock service
	 * @param interceptor the token check, applied to every service (reflection included)
	 * @param settings address, port and thread bounds ({@code locksmith.server.grpc.*})
	 * @param maxMessageSize the largest inbound message, in bytes
	 * @param ssl the certificate and key to serve TLS with, or {@code null} for plaintext
	 * @param threads makes the (at most {@code max-threads}) threads that run calls, or {@code null} for
	 * daemon platform threads
	 */
	public GrpcLockServer(GrpcLockService service, BearerTokenInterceptor interceptor,
			LockServerProperties.Grpc settings, int maxMessageSize, @Nullable SslBundle ssl,
			@Nullable ThreadFactory threads) {
		this.service = service;
		this.interceptor = interceptor;
		this.settings = settings;
		this.maxMessageSize = maxMessageSize;
		this.ssl = ssl;
		this.threads = threads;
	}

	@Override
	@SuppressWarnings("deprecation")
	public synchronized void start() {
		if (this.server != null) {
			return;
		}
		BindableService reflectionV1Alpha = io.grpc.protobuf.services.ProtoReflectionService.newInstance();
		InetAddress address = this.settings.getAddress();
		InetSocketAddress bind = new InetSocketAddress(
				(address != null) ? address : InetAddress.getLoopbackAddress(), this.settings.getPort());
		CallAdmission calls = new CallAdmission(this.settings.getMaxThreads(), this.settings.getQueueCapacity(),
				this.threads);
		NettyServerBuilder builder = NettyServerBuilder.forAddress(bind);
		if (this.ssl != null) {
			builder.sslContext(sslContext(this.ssl));
		}
		Server started = builder.addService(this.service)
			.addService(ProtoReflectionServiceV1.newInstance())
			.addService(reflectionV1Alpha)
			.maxInboundMessageSize(this.maxMessageSize)
			// transport callbacks run directly; every call then runs on the bounded pool or is refused
			.directExecutor()
			.callExecutor(calls)
			// every service, reflection included, needs the token; interceptors added later run first
			.intercept(this.interceptor)
			.intercept(calls)
			.build();
		try {
			started.start();
		}
		catch (IOException ex) {
			calls.shutdown();
			throw new UncheckedIOException("Could not start the lock service's gRPC server on " + bind
					+ " (locksmith.server.grpc.address, locksmith.server.grpc.port)", ex);
		}
		this.server = started;
		this.admission = calls;
		logger.info("Lock service gRPC server (tracker.lock.v1alpha1.LockService) listening on {} ({})",
				started.getListenSockets(), (this.ssl != null) ? "TLS" : "plaintext");
		if (this.ssl == null && !bind.getAddress().isLoopbackAddress()) {
			logger.warn("Lock service gRPC server listens on {} without TLS: requests, and the bearer token if one "
					+ "is set, travel in clear; set locksmith.server.grpc.ssl.bundle", bind);
		}
	}

	/** The server's TLS context: the bundle's key, and its enabled protocols and ciphers when it sets them. */
	private static SslContext sslContext(SslBundle ssl) {
		SslContextBuilder builder = GrpcSslContexts
			.configure(SslContextBuilder.forServer(ssl.getManagers().getKeyManagerFactory()));
		SslOptions options = ssl.getOptions();
		if (options.getEnabledProtocols() != null) {
			builder.protocols(options.getEnabledProtocols());
		}
		if (options.getCiphers() != null) {
			builder.ciphers(Arrays.asList(options.getCiphers()));
		}
		try {
			return builder.build();
		}
		catch (SSLException ex) {
			throw new IllegalStateException("Could not set up TLS for the lock service's gRPC server from SSL bundle "
					+ "(locksmith.server.grpc.ssl.bundle): " + ex.getMessage(), ex);
		}
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

	/**
	 * Returns the addresses the server listens on.
	 * @return the addresses, empty when not running
	 */
	public List<? extends SocketAddress> getListenAddresses() {
		Server running = this.server;
		return (running != null) ? running.getListenSockets() : List.of();
	}

}
