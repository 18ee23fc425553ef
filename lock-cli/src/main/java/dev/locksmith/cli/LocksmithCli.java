package dev.locksmith.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * {@code locksmith mutex …}: a mutex for shell scripts, backed by a Locksmith lock service.
 *
 * <pre>
 * locksmith mutex lock NAME --holder H [--timeout 30s] [--ttl 10m]   exit 0 when held, 1 when not
 * locksmith mutex unlock NAME --holder H                              exit 0 when released, 1 when H does not hold it
 * locksmith mutex get NAME                                            the mutex's status
 * locksmith mutex list                                                every locked mutex
 * </pre>
 *
 * Global options (before {@code mutex}): {@code --server URL} (default {@code $LOCKSMITH_SERVER}, else
 * {@code http://localhost:8080}) and {@code --token T} (default {@code $LOCKSMITH_TOKEN}). Exit codes: 0
 * success, 1 not acquired / not held, 2 bad usage, 3 lock service unreachable or failing.
 *
 * <p>Without {@code --timeout}, {@code lock} waits until the mutex is free; {@code --timeout 0} tries once.
 * Waiting happens on the server, which wakes the caller when the holder releases (no polling). A holder
 * that locks a mutex it already holds succeeds at once and keeps that lease, which then expires
 * {@code --ttl} (else the server's default TTL) from now: two runs that share a holder name share the
 * mutex, so give every run its own holder ({@code --holder "$HOSTNAME-$$"}). Names and holders are
 * trimmed and NFC-normalised; invisible characters are refused (exit 2).
 */
public final class LocksmithCli {

	/** Longest wait asked of the server in one request (the server's default max-wait is 60 s). */
	private static final Duration WAIT_CHUNK = Duration.ofSeconds(30);

	/** How long {@code lock} waits before asking again a service whose waiting slots are all taken. */
	private static final Duration BUSY_RETRY = Duration.ofSeconds(1);

	private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

	private static final String USAGE = """
			usage: locksmith [--server URL] [--token TOKEN] mutex <command>
			  mutex lock NAME --holder HOLDER [--timeout DURATION] [--ttl DURATION]
			  mutex unlock NAME --holder HOLDER
			  mutex get NAME
			  mutex list
			durations: 500ms, 30s, 10m, 1h, 1d or ISO-8601 (PT30S); --timeout 0 tries once
			exit codes: 0 ok, 1 not acquired / not held, 2 bad usage, 3 lock service error""";

	private final PrintStream out;

	private final PrintStream err;

	private final Map<String, String> environment;

	LocksmithCli(PrintStream out, PrintStream err, Map<String, String> environment) {
		this.out = out;
		this.err = err;
		this.environment = environment;
	}

	/**
	 * Runs the CLI and exits with its exit code.
	 * @param args the command line
	 */
	public static void main(String[] args) {
		System.exit(new LocksmithCli(System.out, System.err, System.getenv()).run(args));
	}

	/**
	 * Runs one command.
	 * @param args the command line
	 * @return the exit code
	 */
	int run(String... args) {
		try {
			return execute(new Arguments(args));
		}
		catch (CliException ex) {
			this.err.println("locksmith: " + ex.getMessage());
			if (ex.exitCode() == 2) {
				this.err.println(USAGE);
			}
			return ex.exitCode();
		}
	}

	private int execute(Arguments args) {
		String server = args.option("--server", this.environment.getOrDefault("LOCKSMITH_SERVER",
				"http://localhost:8080"));
		String token = args.option("--token", this.environment.get("LOCKSMITH_TOKEN"));
		if (!"mutex".equals(args.next("a resource (mutex)"))) {
			throw new CliException(2, "only the 'mutex' resource exists");
		}
		String command = args.next("a command");
		LockServiceClient client = new LockServiceClient(server, token);
		return switch (command) {
			case "lock" -> lock(client, args);
			case "unlock" -> unlock(client, args);
			case "get" -> get(client, args);
			case "list" -> list(client, args);
			default -> throw new CliException(2, "unknown command '" + command + "'");
		};
	}

	private int lock(LockServiceClient client, Arguments args) {
		String name = Names.normalise("mutex name", args.next("a mutex name"));
		String holder = Names.normalise("--holder", args.required("--holder"));
		String timeoutText = args.option("--timeout", null);
		String ttl = args.option("--ttl", null);
		if (ttl != null) {
			parseDuration("--ttl", ttl);
		}
		args.done();
		Duration timeout = (timeoutText != null) ? parseDuration("--timeout", timeoutText) : null;
		long deadline = (timeout != null) ? System.nanoTime() + timeout.toNanos() : Long.MAX_VALUE;
		while (true) {
			long left = deadline - System.nanoTime();
			Duration wait = (timeout == null) ? WAIT_CHUNK
					: Duration.ofNanos(Math.max(0, Math.min(left, WAIT_CHUNK.toNanos())));
			LockServiceClient.Reply reply = client.create(name, holder, ttl, wait);
			if (reply.status() == 200) {
				this.out.println("mutex/" + name + " locked by " + holder + " (id " + reply.body().path("id").asString()
						+ ", fencing token " + reply.body().path("fencingToken").asLong() + ", expires "
						+ reply.body().path("expiresAt").asString() + ")");
				return 0;
			}
			if (reply.retryLater()) {
				// every waiting slot of the service is taken (the mutex is held): keep waiting here
				left = deadline - System.nanoTime();
				if (left <= 0) {
					this.err.println("mutex/" + name + " is locked and the lock service is busy: " + reply.error());
					return 1;
				}
				pause(Math.min(left, BUSY_RETRY.toNanos()));
				continue;
			}
			if (reply.status() != 409) {
				throw new CliException((reply.status() == 400) ? 2 : 3, reply.error());
			}
			JsonNode existing = reply.body().path("existingLock");
			if (holder.equals(existing.path("who").asString())) {
				// the same holder holds it: keep that lease, but give it the requested TTL from now
				LockServiceClient.Reply extended = client.extend(existing.path("id").asString(), ttl);
				if (extended.status() == 200) {
					this.out.println("mutex/" + name + " already locked by " + holder + "; expires "
							+ extended.body().path("expiresAt").asString() + " (fencing token "
							+ extended.body().path("fencingToken").asLong() + ")");
					return 0;
				}
				if (extended.status() != 404) {
					throw new CliException((extended.status() == 400) ? 2 : 3, extended.error());
				}
				continue; // released or expired meanwhile: lock it afresh
			}
			if (deadline - System.nanoTime() <= 0) {
				this.err.println("mutex/" + name + " is locked by " + existing.path("who").asString() + " since "
						+ existing.path("createdAt").asString());
				return 1;
			}
		}
	}

	private static void pause(long nanos) {
		try {
			TimeUnit.NANOSECONDS.sleep(nanos);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new CliException(3, "interrupted");
		}
	}

	private int unlock(LockServiceClient client, Arguments args) {
		String name = Names.normalise("mutex name", args.next("a mutex name"));
		String holder = Names.normalise("--holder", args.required("--holder"));
		args.done();
		Optional<JsonNode> lock = client.find(name);
		if (lock.isEmpty()) {
			this.err.println("mutex/" + name + " is not locked");
			return 1;
		}
		String who = lock.get().path("who").asString();
		if (!holder.equals(who)) {
			this.err.println("mutex/" + name + " is locked by " + who + ", not " + holder);
			return 1;
		}
		LockServiceClient.Reply reply = client.release(lock.get().path("id").asString());
		if (reply.status() == 404) {
			this.err.println("mutex/" + name + " was no longer locked by " + holder);
			return 1;
		}
		if (reply.status() != 200) {
			throw new CliException(3, reply.error());
		}
		this.out.println("mutex/" + name + " unlocked");
		return 0;
	}

	private int get(LockServiceClient client, Arguments args) {
		String name = Names.normalise("mutex name", args.next("a mutex name"));
		args.done();
		Optional<JsonNode> lock = client.find(name);
		this.out.println("name: " + name);
		if (lock.isEmpty()) {
			this.out.println("phase: Unlocked");
			return 0;
		}
		JsonNode held = lock.get();
		this.out.println("phase: Locked");
		this.out.println("holder: " + held.path("who").asString());
		this.out.println("lockedAt: " + held.path("createdAt").asString());
		this.out.println("expiresAt: " + held.path("expiresAt").asString());
		this.out.println("fencingToken: " + held.path("fencingToken").asLong());
		this.out.println("id: " + held.path("id").asString());
		return 0;
	}

	private int list(LockServiceClient client, Arguments args) {
		args.done();
		List<JsonNode> locks = client.list();
		String format = "%-32s %-8s %-24s %-22s %-22s%n";
		this.out.printf(format, "NAME", "PHASE", "HOLDER", "LOCKED-AT", "EXPIRES-AT");
		for (JsonNode lock : locks) {
			this.out.printf(format, lock.path("service").asString(), "Locked", lock.path("who").asString(),
					lock.path("createdAt").asString(), lock.path("expiresAt").asString());
		}
		return 0;
	}

	static Duration parseDuration(String option, String text) {
		Matcher matcher = SIMPLE_DURATION.matcher(text.trim());
		try {
			if (matcher.matches()) {
				long amount = Long.parseLong(matcher.group(1));
				String unit = (matcher.group(2) != null) ? matcher.group(2) : "s";
				return switch (unit) {
					case "ms" -> Duration.ofMillis(amount);
					case "m" -> Duration.ofMinutes(amount);
					case "h" -> Duration.ofHours(amount);
					case "d" -> Duration.ofDays(amount);
					default -> Duration.ofSeconds(amount);
				};
			}
			Duration parsed = Duration.parse(text.trim());
			if (!parsed.isNegative()) {
				return parsed;
			}
		}
		catch (DateTimeParseException | NumberFormatException | ArithmeticException ex) {
			// reported below
		}
		throw new CliException(2, option + ": '" + text + "' is not a duration (use 500ms, 30s, 10m, 1h, 1d or PT30S)");
	}

	/** Positional arguments and {@code --name value} options, in any order after the command. */
	private static final class Arguments {

		private final List<String> positional = new ArrayList<>();

		private final Map<String, String> options = new HashMap<>();

		Arguments(String[] args) {
			for (int i = 0; i < args.length; i++) {
				String arg = args[i];
				if (arg.startsWith("--")) {
					int equals = arg.indexOf('=');
					if (equals > 0) {
						this.options.put(arg.substring(0, equals), arg.substring(equals + 1));
					}
					else if (i + 1 < args.length) {
						this.options.put(arg, args[++i]);
					}
					else {
						throw new CliException(2, arg + " needs a value");
					}
				}
				else {
					this.positional.add(arg);
				}
			}
		}

		String next(String what) {
			if (this.positional.isEmpty()) {
				throw new CliException(2, "missing " + what);
			}
			return this.positional.remove(0);
		}

		@Nullable String option(String name, @Nullable String fallback) {
			String value = this.options.remove(name);
			if (value != null && value.isBlank()) {
				throw new CliException(2, name + " must not be blank");
			}
			return (value != null) ? value : fallback;
		}

		String required(String name) {
			String value = option(name, null);
			if (value == null) {
				throw new CliException(2, name + " is required");
			}
			return value;
		}

		void done() {
			if (!this.positional.isEmpty()) {
				throw new CliException(2, "unexpected argument '" + this.positional.get(0) + "'");
			}
			if (!this.options.isEmpty()) {
				throw new CliException(2, "unknown option " + this.options.keySet().iterator().next());
			}
		}

	}

}
