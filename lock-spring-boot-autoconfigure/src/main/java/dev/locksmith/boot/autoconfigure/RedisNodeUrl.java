package dev.locksmith.boot.autoconfigure;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

/**
 * A Redlock master given as {@code redis://[[user]:password@]host[:port][/database]} (or {@code rediss://}
 * for TLS).
 *
 * @param host the host
 * @param port the port
 * @param database the database index
 * @param username the user, if any
 * @param password the password, if any
 * @param ssl whether to use TLS
 */
record RedisNodeUrl(String host, int port, int database, @Nullable String username, @Nullable String password,
		boolean ssl) {

	/**
	 * Parses a node URL.
	 * @param url the URL
	 * @return the parsed node
	 * @throws IllegalArgumentException if it is not a redis:// or rediss:// URL with a host
	 */
	static RedisNodeUrl parse(String url) {
		URI uri;
		try {
			uri = new URI(url.trim());
		}
		catch (URISyntaxException ex) {
			// Not chained: the exception's message repeats the whole URL, password included.
			throw new IllegalArgumentException("'" + redacted(url) + "' is not a Redis URL (redis://host:port): "
					+ ex.getReason() + " at index " + ex.getIndex());
		}
		catch (NullPointerException ex) {
			throw new IllegalArgumentException("A Redis URL must not be null (redis://host:port)", ex);
		}
		String scheme = uri.getScheme();
		if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
			throw new IllegalArgumentException("'" + redacted(url) + "' is not a Redis URL: the scheme must be redis or rediss");
		}
		if (uri.getHost() == null) {
			throw new IllegalArgumentException("'" + redacted(url) + "' is not a Redis URL: it has no host");
		}
		String username = null;
		String password = null;
		if (uri.getRawUserInfo() != null) {
			String info = uri.getRawUserInfo();
			int colon = info.indexOf(':');
			if (colon >= 0) {
				username = (colon > 0) ? decode(info.substring(0, colon)) : null;
				password = decode(info.substring(colon + 1));
			}
			else {
				password = decode(info);
			}
		}
		int database = 0;
		String path = uri.getPath();
		if (path != null && path.length() > 1) {
			try {
				database = Integer.parseInt(path.substring(1));
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException("'" + redacted(url) + "' is not a Redis URL: the path must be a database index",
						ex);
			}
		}
		return new RedisNodeUrl(uri.getHost(), (uri.getPort() > 0) ? uri.getPort() : 6379, database, username,
				password, "rediss".equals(scheme));
	}

	/**
	 * Returns the node without its password, for logs.
	 * @return {@code redis://user:***@host:port/database}
	 */
	@Override
	public String toString() {
		return (this.ssl ? "rediss://" : "redis://") + ((this.username != null) ? this.username : "")
				+ ((this.password != null) ? ":***@" : (this.username != null) ? "@" : "") + this.host + ":" + this.port
				+ "/" + this.database;
	}

	/** The URL with any user info (user and password) replaced by {@code ***}, for messages. */
	private static String redacted(String url) {
		int start = url.indexOf("://");
		int at = url.lastIndexOf('@');
		return (start >= 0 && at > start) ? url.substring(0, start + 3) + "***" + url.substring(at) : url;
	}

	private static String decode(String value) {
		return URLDecoder.decode(value, StandardCharsets.UTF_8);
	}

}
