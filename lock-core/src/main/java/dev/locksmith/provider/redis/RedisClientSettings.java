package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.Objects;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;

import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;

/**
 * Lettuce settings that suit locks: short command and connect timeouts, so a dead server fails a
 * renewal well within the lease TTL, and commands rejected at once while disconnected instead of being
 * buffered until the timeout. Lettuce's defaults (60 s command timeout, buffering) would let a lease run
 * out before the engine even learns that Redis is gone.
 */
public final class RedisClientSettings {

	/** The recommended command timeout: well below the shortest sensible lease TTL. */
	public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);

	private RedisClientSettings() {
	}

	/**
	 * Returns Lettuce client options: auto-reconnect on, commands rejected while disconnected, and a
	 * connect timeout.
	 * @param connectTimeout the TCP connect timeout, positive
	 * @return the client options
	 */
	public static ClientOptions clientOptions(Duration connectTimeout) {
		requirePositive(connectTimeout, "connectTimeout");
		return ClientOptions.builder()
			.autoReconnect(true)
			.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
			.socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
			.build();
	}

	/**
	 * Returns a client configuration with {@link #clientOptions(Duration)} (connect timeout equal to the
	 * command timeout) and the given command timeout.
	 * @param commandTimeout the command timeout, positive
	 * @return the client configuration
	 */
	public static LettuceClientConfiguration clientConfiguration(Duration commandTimeout) {
		return clientConfiguration(commandTimeout, false);
	}

	/**
	 * Returns a client configuration with {@link #clientOptions(Duration)} (connect timeout equal to the
	 * command timeout), the given command timeout and, if asked, TLS.
	 * @param commandTimeout the command timeout, positive
	 * @param ssl whether to connect with TLS
	 * @return the client configuration
	 */
	public static LettuceClientConfiguration clientConfiguration(Duration commandTimeout, boolean ssl) {
		requirePositive(commandTimeout, "commandTimeout");
		LettuceClientConfiguration.LettuceClientConfigurationBuilder builder = LettuceClientConfiguration.builder()
			.commandTimeout(commandTimeout)
			.clientOptions(clientOptions(commandTimeout));
		if (ssl) {
			builder.useSsl();
		}
		return builder.build();
	}

	private static void requirePositive(Duration duration, String name) {
		Objects.requireNonNull(duration, name);
		if (duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException(name + " must be positive, but was " + duration);
		}
	}

}
