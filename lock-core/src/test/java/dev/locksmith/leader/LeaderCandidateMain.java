package dev.locksmith.leader;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.provider.redis.RedisClientSettings;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * One candidate process for {@link AbstractLeaderElectionCrossProcessTests}. Arguments: backend
 * ({@code redis}, {@code jdbc} or {@code advisory}), its address (a Redis port or a JDBC URL), the election
 * name, the lease TTL and the yield delay in milliseconds. Prints protocol lines starting with {@code @@} on
 * stdout and reads commands on stdin, one a line: {@code state} ({@code @@ STATE <leader> <term>}),
 * {@code act} ({@code @@ ACT <term>} when leader, else {@code @@ IDLE}), {@code yield}, {@code stop} (stops
 * the election and exits 0).
 */
public final class LeaderCandidateMain {

	private static final PrintStream out = System.out;

	private LeaderCandidateMain() {
	}

	/**
	 * Runs the candidate.
	 * @param args backend, address, election name, TTL millis, yield delay millis
	 * @throws Exception on failure
	 */
	public static void main(String[] args) throws Exception {
		String backend = args[0];
		String address = args[1];
		String name = args[2];
		Duration ttl = Duration.ofMillis(Long.parseLong(args[3]));
		Duration yieldDelay = Duration.ofMillis(Long.parseLong(args[4]));
		LettuceConnectionFactory factory = null;
		HikariDataSource dataSource = null;
		LockProvider provider;
		if (backend.equals("redis")) {
			factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", Integer.parseInt(address)),
					RedisClientSettings.clientConfiguration(Duration.ofSeconds(2)));
			factory.afterPropertiesSet();
			factory.start();
			provider = RedisLockProvider.builder(factory).build();
		}
		else {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(address);
			config.setUsername("postgres");
			config.setMaximumPoolSize(8);
			config.setMinimumIdle(0);
			dataSource = new HikariDataSource(config);
			provider = backend.equals("jdbc") ? JdbcLockProvider.builder(dataSource).build()
					: PostgresAdvisoryLockProvider.builder(dataSource).build();
		}
		LockEngine locks = Locksmith.builder(provider).build();
		// Warm up (connections, scripts, JIT) as an application would before it contends: the first call of a
		// cold JVM on a loaded machine can take longer than the 3 s TTL, and a lease's deadline counts from
		// when its request was sent.
		locks.acquire("warmup:" + ProcessHandle.current().pid()).release();
		LeaderElection election = LeaderElection.builder(locks, name)
			.ttl(ttl)
			.yieldDelay(yieldDelay)
			.listener(new LeaderListener() {
				@Override
				public void granted(Leadership leadership) {
					print("GRANTED " + leadership.term());
				}

				@Override
				public void revoked(Leadership leadership, RevocationReason reason) {
					print("REVOKED " + leadership.term() + " " + reason);
				}
			})
			.build();
		election.start();
		print("READY " + ProcessHandle.current().pid());
		BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
		String command;
		while ((command = commands.readLine()) != null) {
			switch (command.trim()) {
				case "state" -> print("STATE " + election.isLeader() + " "
						+ election.leadership().map(Leadership::term).orElse(-1L));
				case "act" -> print(election.leadership().map((leadership) -> "ACT " + leadership.term()).orElse("IDLE"));
				case "yield" -> print("YIELD " + election.yield());
				case "stop" -> {
					election.stop();
					print("STOPPED");
					locks.close();
					provider.close();
					if (factory != null) {
						factory.destroy();
					}
					if (dataSource != null) {
						dataSource.close();
					}
					System.exit(0);
				}
				default -> print("UNKNOWN " + command);
			}
		}
		System.exit(2);
	}

	private static void print(String line) {
		synchronized (out) {
			out.println("@@ " + line);
			out.flush();
		}
	}

}
