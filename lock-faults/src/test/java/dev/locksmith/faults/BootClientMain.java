package dev.locksmith.faults;

import java.util.Map;
import java.util.Random;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.stereotype.Component;

import dev.locksmith.LockContext;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.boot.annotation.AutoExtend;
import dev.locksmith.boot.annotation.DistributedLock;

/**
 * The Spring Boot flavour of a client (Redis only): the starter's auto-configuration builds the lock
 * service from {@code locksmith.*} and {@code spring.data.redis.*} properties, and each worker runs the
 * critical section of {@link ClientMain} inside a {@link DistributedLock @DistributedLock} method on a
 * mutex key, taking the handle from {@link LockContext}. The advice releases the lock; a lost lease
 * surfaces as {@link LockLostException} after the method.
 */
@SpringBootApplication
public class BootClientMain {

	/**
	 * Runs a Boot client; arguments as for {@link ClientMain}.
	 * @param argv {@code name=value} arguments
	 * @throws Exception if the client cannot start
	 */
	public static void main(String[] argv) throws Exception {
		Map<String, String> args = ClientMain.arguments(argv);
		long ttl = Long.parseLong(args.get("ttlMs"));
		String[] hostPort = args.get("endpoints").split(",")[0].split(":");
		SpringApplication application = new SpringApplication(BootClientMain.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		application.setDefaultProperties(Map.of("locksmith.provider", "redis", "locksmith.key-prefix",
				ClientMain.KEY_PREFIX, "locksmith.owner-id", args.get("name"), "spring.data.redis.host", hostPort[0],
				"spring.data.redis.port", hostPort[1], "spring.data.redis.timeout", BackendClient.REDIS_TIMEOUT.toMillis() + "ms",
				"faults.ttl", ttl + "ms", "faults.wait", (3 * ttl) + "ms"));
		try (ConfigurableApplicationContext context = application.run()) {
			Sections sections = context.getBean(Sections.class);
			ClientMain client = new ClientMain(args, null);
			client.run(Integer.parseInt(args.get("threads")), Long.parseLong(args.get("seed")),
					(thread, random) -> step(client, sections, thread, random));
		}
		System.exit(0);
	}

	private static void step(ClientMain client, Sections sections, int thread, Random random) {
		HistoryWriter history = client.history();
		String key = ClientMain.MUTEX_KEYS.get(random.nextInt(ClientMain.MUTEX_KEYS.size()));
		history.record(thread, Event.Type.INVOKE, "acquire", key, null, 0, "excl", 0);
		String[] lease = new String[1];
		try {
			sections.mutex(key, client, thread, random, lease);
			history.record(thread, Event.Type.OK, "release", key, lease[0], 0, "RELEASED", 0);
		}
		catch (LockNotAcquiredException ex) {
			history.record(thread, Event.Type.FAIL, "acquire", key, null, 0, "timeout", 0);
		}
		catch (LockLostException ex) {
			history.record(thread, Event.Type.INFO, "lost", key, lease[0], 0, "exception", 0);
			history.record(thread, Event.Type.OK, "release", key, lease[0], 0, "LOST", 0);
		}
		catch (LockProviderUnavailableException ex) {
			history.record(thread, (lease[0] == null) ? Event.Type.FAIL : Event.Type.INFO,
					(lease[0] == null) ? "acquire" : "error", key, lease[0], 0, "unavailable", 0);
			ClientMain.pause(100);
		}
	}

	/**
	 * The annotated critical sections.
	 */
	@Component
	public static class Sections {

		/**
		 * Runs {@link ClientMain}'s critical section under the mutex {@code key}.
		 * @param key the key
		 * @param client the client recording the history
		 * @param thread the worker's number
		 * @param random its random source
		 * @param lease receives the lease id
		 */
		@DistributedLock(key = "#key", ttl = "${faults.ttl}", waitTime = "${faults.wait}", autoExtend = AutoExtend.TRUE)
		public void mutex(String key, ClientMain client, int thread, Random random, String[] lease) {
			var handle = LockContext.current().orElseThrow();
			lease[0] = handle.leaseId();
			client.section(thread, random, key, "excl", handle);
			client.history().record(thread, Event.Type.INVOKE, "release", key, handle.leaseId(), handle.fencingToken(),
					null, 0);
		}

	}

}
