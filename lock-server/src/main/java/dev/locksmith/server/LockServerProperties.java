package dev.locksmith.server;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the lock service ({@code locksmith.server.*}).
 */
@ConfigurationProperties("locksmith.server")
public class LockServerProperties {

	/** Whether to serve the lock service API (REST under /api/v1alpha1 and gRPC). */
	private boolean enabled;

	/** Lease time of a service lock created without a ttl, so that a crashed caller does not hold it forever. */
	private Duration defaultTtl = Duration.ofHours(1);

	/** Longest ttl a client may ask for on create or extend. */
	private Duration maxTtl = Duration.ofHours(24);

	/** Longest time a create request may wait for a held lock to be released. */
	private Duration maxWait = Duration.ofSeconds(60);

	/**
	 * Most create requests that may wait for a held lock at once (REST and gRPC together); each holds a
	 * request thread while it waits. A create that would have to wait beyond this is refused at once with
	 * 503 (gRPC RESOURCE_EXHAUSTED).
	 */
	private int maxWaitingRequests = 32;

	/** Bearer token that every request must carry ("Authorization: Bearer <token>"); none when empty. */
	private @Nullable String token;

	/** Prefix of the lock keys of service locks, keeping them apart from the application's own locks; must not be empty. */
	private String keyPrefix = "service:";

	/** Largest request body (REST) or message (gRPC) accepted. */
	private DataSize maxBodySize = DataSize.ofKilobytes(16);

	/**
	 * Host names, besides localhost and IP addresses, under which browsers may call the REST API from pages
	 * this server serves itself; a browser request under any other name is refused (DNS rebinding).
	 * Scripts (no Origin, no Sec-Fetch-Site) are not affected.
	 */
	private List<String> browserHosts = new ArrayList<>();

	/** gRPC settings. */
	private final Grpc grpc = new Grpc();

	/** Lock page settings. */
	private final Page page = new Page();

	/**
	 * Returns whether to serve the lock service.
	 * @return whether to serve the lock service
	 */
	public boolean isEnabled() {
		return this.enabled;
	}

	/**
	 * Sets whether to serve the lock service.
	 * @param enabled whether to serve the lock service
	 */
	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	/**
	 * Returns the lease time of a service lock created without a ttl.
	 * @return the lease time of a service lock created without a ttl
	 */
	public Duration getDefaultTtl() {
		return this.defaultTtl;
	}

	/**
	 * Sets the lease time of a service lock created without a ttl.
	 * @param defaultTtl the lease time of a service lock created without a ttl
	 */
	public void setDefaultTtl(Duration defaultTtl) {
		this.defaultTtl = defaultTtl;
	}

	/**
	 * Returns the longest ttl a client may ask for.
	 * @return the longest ttl a client may ask for
	 */
	public Duration getMaxTtl() {
		return this.maxTtl;
	}

	/**
	 * Sets the longest ttl a client may ask for.
	 * @param maxTtl the longest ttl a client may ask for
	 */
	public void setMaxTtl(Duration maxTtl) {
		this.maxTtl = maxTtl;
	}

	/**
	 * Returns the longest wait a create request may ask for.
	 * @return the longest wait a create request may ask for
	 */
	public Duration getMaxWait() {
		return this.maxWait;
	}

	/**
	 * Sets the longest wait a create request may ask for.
	 * @param maxWait the longest wait a create request may ask for
	 */
	public void setMaxWait(Duration maxWait) {
		this.maxWait = maxWait;
	}

	/**
	 * Returns the most create requests that may wait at once.
	 * @return the most create requests that may wait at once
	 */
	public int getMaxWaitingRequests() {
		return this.maxWaitingRequests;
	}

	/**
	 * Sets the most create requests that may wait at once.
	 * @param maxWaitingRequests the most create requests that may wait at once
	 */
	public void setMaxWaitingRequests(int maxWaitingRequests) {
		this.maxWaitingRequests = maxWaitingRequests;
	}

	/**
	 * Returns the bearer token requests must carry.
	 * @return the bearer token requests must carry
	 */
	public @Nullable String getToken() {
		return this.token;
	}

	/**
	 * Sets the bearer token requests must carry.
	 * @param token the bearer token requests must carry
	 */
	public void setToken(@Nullable String token) {
		this.token = token;
	}

	/**
	 * Returns the prefix of service lock keys.
	 * @return the prefix of service lock keys
	 */
	public String getKeyPrefix() {
		return this.keyPrefix;
	}

	/**
	 * Sets the prefix of service lock keys.
	 * @param keyPrefix the prefix of service lock keys
	 */
	public void setKeyPrefix(String keyPrefix) {
		this.keyPrefix = keyPrefix;
	}

	/**
	 * Returns the largest request body or message accepted.
	 * @return the largest request body or message accepted
	 */
	public DataSize getMaxBodySize() {
		return this.maxBodySize;
	}

	/**
	 * Sets the largest request body or message accepted.
	 * @param maxBodySize the largest request body or message accepted
	 */
	public void setMaxBodySize(DataSize maxBodySize) {
		this.maxBodySize = maxBodySize;
	}

	/**
	 * Returns the host names browsers may use besides localhost and IP addresses.
	 * @return the host names
	 */
	public List<String> getBrowserHosts() {
		return this.browserHosts;
	}

	/**
	 * Sets the host names browsers may use besides localhost and IP addresses.
	 * @param browserHosts the host names
	 */
	public void setBrowserHosts(List<String> browserHosts) {
		this.browserHosts = browserHosts;
	}

	/**
	 * Returns the gRPC settings.
	 * @return the gRPC settings
	 */
	public Grpc getGrpc() {
		return this.grpc;
	}

	/**
	 * Returns the lock page settings.
	 * @return the lock page settings
	 */
	public Page getPage() {
		return this.page;
	}

	/**
	 * Checks the values, naming the property at fault.
	 * @throws IllegalArgumentException if a value is out of range
	 */
	public void validate() {
		if (this.defaultTtl == null || this.defaultTtl.isZero() || this.defaultTtl.isNegative()) {
			throw new IllegalArgumentException("locksmith.server.default-ttl must be positive, was " + this.defaultTtl);
		}
		if (this.maxTtl == null || this.maxTtl.compareTo(this.defaultTtl) < 0) {
			throw new IllegalArgumentException("locksmith.server.max-ttl must be at least locksmith.server.default-ttl ("
					+ this.defaultTtl + "), was " + this.maxTtl);
		}
		if (this.maxWait == null || this.maxWait.isNegative()) {
			throw new IllegalArgumentException("locksmith.server.max-wait must be zero or positive, was " + this.maxWait);
		}
		if (this.keyPrefix == null || this.keyPrefix.isEmpty()) {
			throw new IllegalArgumentException("locksmith.server.key-prefix must not be empty (with no prefix a "
					+ "service name could address the application's own locks), was '" + this.keyPrefix + "'");
		}
		if (this.maxBodySize == null || this.maxBodySize.toBytes() < 256
				|| this.maxBodySize.toBytes() > Integer.MAX_VALUE) {
			throw new IllegalArgumentException(
					"locksmith.server.max-body-size must be between 256B and 2GB, was " + this.maxBodySize);
		}
		if (this.maxWaitingRequests < 1) {
			throw new IllegalArgumentException(
					"locksmith.server.max-waiting-requests must be at least 1, was " + this.maxWaitingRequests);
		}
		if (this.grpc.maxThreads < 1) {
			throw new IllegalArgumentException(
					"locksmith.server.grpc.max-threads must be at least 1, was " + this.grpc.maxThreads);
		}
		if (this.grpc.queueCapacity < 0) {
			throw new IllegalArgumentException(
					"locksmith.server.grpc.queue-capacity must be zero or positive, was " + this.grpc.queueCapacity);
		}
		if (this.grpc.port < 0 || this.grpc.port > 65535) {
			throw new IllegalArgumentException(
					"locksmith.server.grpc.port must be between 0 and 65535, was " + this.grpc.port);
		}
	}

	/**
	 * Lock page settings ({@code locksmith.server.page.*}).
	 */
	public static class Page {

		/**
		 * Whether to serve the lock page at /locksmith/locks (held locks, filter, and release buttons when a
		 * token is configured); protected like the REST API.
		 */
		private boolean enabled;

		/**
		 * Returns whether to serve the lock page.
		 * @return whether to serve the lock page
		 */
		public boolean isEnabled() {
			return this.enabled;
		}

		/**
		 * Sets whether to serve the lock page.
		 * @param enabled whether to serve the lock page
		 */
		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * gRPC settings ({@code locksmith.server.grpc.*}).
	 */
	public static class Grpc {

		/** Whether to serve tracker.lock.v1alpha1.LockService over gRPC (with server reflection). */
		private boolean enabled = true;

		/** Port of the gRPC server; 0 picks a free port. */
		private int port = 8765;

		/**
		 * Address the gRPC server binds to; the loopback address when not set. Set 0.0.0.0 (or ::) to serve
		 * other hosts, with TLS (ssl.bundle), as requests and the bearer token otherwise travel in clear.
		 */
		private @Nullable InetAddress address;

		/** TLS settings of the gRPC server. */
		private final Ssl ssl = new Ssl();

		/**
		 * Threads that run gRPC calls; a waiting CreateLock holds one while it waits, so keep this above
		 * max-waiting-requests.
		 */
		private int maxThreads = 64;

		/**
		 * gRPC calls that may wait for a free thread; beyond max-threads plus this, calls are refused at once
		 * with RESOURCE_EXHAUSTED.
		 */
		private int queueCapacity = 64;

		/**
		 * Returns whether to serve gRPC.
		 * @return whether to serve gRPC
		 */
		public boolean isEnabled() {
			return this.enabled;
		}

		/**
		 * Sets whether to serve gRPC.
		 * @param enabled whether to serve gRPC
		 */
		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		/**
		 * Returns the gRPC port.
		 * @return the gRPC port
		 */
		public int getPort() {
			return this.port;
		}

		/**
		 * Sets the gRPC port.
		 * @param port the gRPC port
		 */
		public void setPort(int port) {
			this.port = port;
		}

		/**
		 * Returns the number of threads that run gRPC calls.
		 * @return the number of threads that run gRPC calls
		 */
		public int getMaxThreads() {
			return this.maxThreads;
		}

		/**
		 * Sets the number of threads that run gRPC calls.
		 * @param maxThreads the number of threads that run gRPC calls
		 */
		public void setMaxThreads(int maxThreads) {
			this.maxThreads = maxThreads;
		}

		/**
		 * Returns how many gRPC calls may wait for a free thread.
		 * @return how many gRPC calls may wait for a free thread
		 */
		public int getQueueCapacity() {
			return this.queueCapacity;
		}

		/**
		 * Sets how many gRPC calls may wait for a free thread.
		 * @param queueCapacity how many gRPC calls may wait for a free thread
		 */
		public void setQueueCapacity(int queueCapacity) {
			this.queueCapacity = queueCapacity;
		}

		/**
		 * Returns the address the gRPC server binds to.
		 * @return the address, or {@code null} for the loopback address
		 */
		public @Nullable InetAddress getAddress() {
			return this.address;
		}

		/**
		 * Sets the address the gRPC server binds to.
		 * @param address the address, or {@code null} for the loopback address
		 */
		public void setAddress(@Nullable InetAddress address) {
			this.address = address;
		}

		/**
		 * Returns the TLS settings.
		 * @return the TLS settings
		 */
		public Ssl getSsl() {
			return this.ssl;
		}

	}

	/**
	 * TLS settings of the gRPC server ({@code locksmith.server.grpc.ssl.*}).
	 */
	public static class Ssl {

		/**
		 * Name of the Spring Boot SSL bundle (spring.ssl.bundle.*) with the server's certificate and key;
		 * plaintext when not set.
		 */
		private @Nullable String bundle;

		/**
		 * Returns the name of the SSL bundle.
		 * @return the name of the SSL bundle, or {@code null} for plaintext
		 */
		public @Nullable String getBundle() {
			return this.bundle;
		}

		/**
		 * Sets the name of the SSL bundle.
		 * @param bundle the name of the SSL bundle, or {@code null} for plaintext
		 */
		public void setBundle(@Nullable String bundle) {
			this.bundle = bundle;
		}

	}

}
