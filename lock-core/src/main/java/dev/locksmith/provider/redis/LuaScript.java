package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.ReturnType;

/**
 * One Lua script, run with {@code EVALSHA} and, when the server does not know it yet ({@code NOSCRIPT},
 * for example after a restart), once with {@code EVAL}, which also caches it on the server.
 */
final class LuaScript {

	private final String name;

	private final byte[] text;

	private final String sha1;

	LuaScript(String name, String text) {
		this.name = name;
		this.text = text.getBytes(StandardCharsets.UTF_8);
		this.sha1 = sha1(this.text);
	}

	/**
	 * Runs the script.
	 * @param connection the connection
	 * @param returnType how to read the reply
	 * @param numKeys how many of {@code keysAndArgs} are keys
	 * @param keysAndArgs the keys, then the arguments
	 * @param <T> the reply type
	 * @return the reply
	 */
	<T> @Nullable T run(RedisConnection connection, ReturnType returnType, int numKeys, byte[]... keysAndArgs) {
		try {
			return connection.scriptingCommands().evalSha(this.sha1, returnType, numKeys, keysAndArgs);
		}
		catch (RuntimeException ex) {
			if (!isNoScript(ex)) {
				throw ex;
			}
			return connection.scriptingCommands().eval(this.text, returnType, numKeys, keysAndArgs);
		}
	}

	/**
	 * Returns the script's name, for messages.
	 * @return the name
	 */
	String name() {
		return this.name;
	}

	/**
	 * Returns the script's text, for {@code EVAL}.
	 * @return the UTF-8 bytes (not a copy: do not modify)
	 */
	byte[] text() {
		return this.text;
	}

	/**
	 * Returns the script's SHA-1 digest, as {@code SCRIPT LOAD} reports it.
	 * @return the lower-case hex digest
	 */
	String sha1() {
		return this.sha1;
	}

	private static boolean isNoScript(Throwable ex) {
		for (Throwable t = ex; t != null; t = t.getCause()) {
			String message = t.getMessage();
			if (message != null && message.contains("NOSCRIPT")) {
				return true;
			}
			if (t.getCause() == t) {
				break;
			}
		}
		return false;
	}

	private static String sha1(byte[] text) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-1 is not available", ex);
		}
	}

}
