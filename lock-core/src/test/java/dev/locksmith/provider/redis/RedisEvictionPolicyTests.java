package dev.locksmith.provider.redis;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * The providers warn once at start when the server may evict keys (any {@code maxmemory-policy} but
 * {@code noeviction}), and start quietly when {@code CONFIG} is disabled.
 */
class RedisEvictionPolicyTests {

	private final Logger logger = (Logger) LoggerFactory.getLogger(RedisLeaseNode.class);

	private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

	@BeforeEach
	void capture() {
		this.appender.start();
		this.logger.addAppender(this.appender);
	}

	@AfterEach
	void release() {
		this.logger.detachAppender(this.appender);
	}

	@Test
	void aServerThatMayEvictLocksIsReportedOnceAtStart() {
		try (RedisTestServer lru = RedisTestServer.withArguments("--maxmemory-policy", "allkeys-lru")) {
			LettuceConnectionFactory factory = lru.connectionFactory();
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).build()) {
				provider.ping();
				provider.inspect("lock:x");
				assertThat(warnings()).singleElement()
					.satisfies((message) -> assertThat(message).contains("allkeys-lru").contains("noeviction"));
			}
			try (RedlockLockProvider provider = RedlockLockProvider.builder(List.<RedisConnectionFactory>of(factory))
				.build()) {
				assertThat(warnings()).hasSize(2);
			}
			finally {
				factory.destroy();
			}
		}
	}

	@Test
	void noevictionStartsWithoutWarning() {
		try (RedisTestServer server = RedisTestServer.withArguments("--maxmemory-policy", "noeviction")) {
			LettuceConnectionFactory factory = server.connectionFactory();
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).build()) {
				provider.ping();
				assertThat(warnings()).isEmpty();
			}
			finally {
				factory.destroy();
			}
		}
	}

	@Test
	void aDisabledConfigCommandIsNoObstacle() {
		try (RedisTestServer server = RedisTestServer.withArguments("--rename-command", "CONFIG", "")) {
			LettuceConnectionFactory factory = server.connectionFactory();
			try (RedisConnection connection = factory.getConnection()) {
				assertThatException().as("CONFIG is disabled on this server")
					.isThrownBy(() -> connection.serverCommands().getConfig("maxmemory-policy"));
			}
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).build()) {
				provider.ping();
				assertThat(provider.acquire(RedisLockProviderTests.request(RedisLockProviderTests.key(),
						dev.locksmith.LeaseType.WRITE, java.time.Duration.ofSeconds(5))).isGranted()).isTrue();
				assertThat(warnings()).isEmpty();
			}
			finally {
				factory.destroy();
			}
		}
	}

	private List<String> warnings() {
		return this.appender.list.stream()
			.filter((event) -> event.getLevel() == Level.WARN)
			.map(ILoggingEvent::getFormattedMessage)
			.toList();
	}

}
