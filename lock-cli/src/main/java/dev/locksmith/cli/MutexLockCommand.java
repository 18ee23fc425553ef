package dev.locksmith.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code locksmith mutex lock NAME --holder H [--timeout D] [--ttl D]}: exit 0 when held, 1 when not.
 */
@Command(name = "lock", mixinStandardHelpOptions = true, versionProvider = LocksmithCli.Version.class,
		synopsisHeading = "usage: ", description = { "Lock a mutex for a holder, waiting until it is free.",
				"A holder that already holds the mutex keeps its lease, which then expires --ttl from now." },
		footer = "%n" + LocksmithCli.EXIT_CODES)
final class MutexLockCommand extends MutexCommand {

	/** Longest wait asked of the server in one request (the server's default max-wait is 60 s). */
	private static final Duration WAIT_CHUNK = Duration.ofSeconds(30);

	/** How long {@code lock} waits before asking again a service whose waiting slots are all taken. */
	private static final Duration BUSY_RETRY = Duration.ofSeconds(1);

	@Parameters(index = "0", paramLabel = "NAME", description = "the mutex")
	String name = "";

	@Option(names = "--holder", required = true, paramLabel = "HOLDER",
			description = "who holds it; give every run its own (host name and process id)")
	String holder = "";

	@Option(names = "--timeout", paramLabel = "DURATION",
			description = "how long to wait (default: until free; 0 tries once)")
	@Nullable String timeout;

	@Option(names = "--ttl", paramLabel = "DURATION",
			description = "lease time to live (default: the service's); 30 means 30s, also 500ms, 10m, 1h, 1d, PT30S")
	@Nullable String ttl;

	MutexLockCommand(LocksmithCli.Root root) {
		super(root);
	}

	@Override
	public Integer call() {
		Acquired acquired = acquire(client(), this.name, this.holder, this.timeout, this.ttl, this.root.out(),
				this.root.err());
		return (acquired != null) ? 0 : 1;
	}

	/** A held lease: its id and its time to live as granted. */
	record Acquired(String id, Duration ttl) {
	}

	/**
	 * Locks a mutex as {@code lock} does, printing what happened.
	 * @return the lease, or {@code null} if the mutex was not acquired within the timeout
	 */
	static @Nullable Acquired acquire(MutexClient client, String rawName, String rawHolder,
			@Nullable String timeoutText, @Nullable String ttlText, PrintStream out, PrintStream err) {
		String name = Names.normalise("mutex name", rawName);
		String holder = Names.normalise("--holder", rawHolder);
		String ttl = (ttlText != null) ? LocksmithCli.parseDuration("--ttl", ttlText).toString() : null;
		Duration timeout = (timeoutText != null) ? LocksmithCli.parseDuration("--timeout", timeoutText) : null;
		long deadline = (timeout != null) ? System.nanoTime() + timeout.toNanos() : Long.MAX_VALUE;
		while (true) {
			long left = deadline - System.nanoTime();
			Duration wait = (timeout == null) ? WAIT_CHUNK
					: Duration.ofNanos(Math.max(0, Math.min(left, WAIT_CHUNK.toNanos())));
			MutexClient.Reply reply = client.create(name, holder, ttl, wait);
			if (reply.status() == 200) {
				JsonNode lock = reply.body();
				out.println("mutex/" + name + " locked by " + holder + " (id " + lock.path("id").asString()
						+ ", fencing token " + lock.path("fencingToken").asLong() + ", expires "
						+ lock.path("expiresAt").asString() + ")");
				return new Acquired(lock.path("id").asString(), grantedTtl(ttl, lock));
			}
			if (reply.retryLater()) {
				// every waiting slot of the service is taken (the mutex is held): keep waiting here
				left = deadline - System.nanoTime();
				if (left <= 0) {
					err.println("mutex/" + name + " is locked and the lock service is busy: " + reply.error());
					return null;
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
				MutexClient.Reply extended = client.extend(existing.path("id").asString(), ttl);
				if (extended.status() == 200) {
					out.println("mutex/" + name + " already locked by " + holder + "; expires "
							+ extended.body().path("expiresAt").asString() + " (fencing token "
							+ extended.body().path("fencingToken").asLong() + ")");
					return new Acquired(existing.path("id").asString(), grantedTtl(ttl, extended.body()));
				}
				if (extended.status() != 404) {
					throw new CliException((extended.status() == 400) ? 2 : 3, extended.error());
				}
				continue; // released or expired meanwhile: lock it afresh
			}
			if (deadline - System.nanoTime() <= 0) {
				err.println("mutex/" + name + " is locked by " + existing.path("who").asString() + " since "
						+ existing.path("createdAt").asString());
				return null;
			}
		}
	}

	/** The requested TTL, else the one the service granted (its reply's times are whole seconds). */
	private static Duration grantedTtl(@Nullable String ttl, JsonNode lock) {
		if (ttl != null) {
			return Duration.parse(ttl);
		}
		try {
			Duration granted = Duration.between(java.time.Instant.parse(lock.path("createdAt").asString()),
					java.time.Instant.parse(lock.path("expiresAt").asString()));
			return (!granted.isNegative() && !granted.isZero()) ? granted : Duration.ofSeconds(1);
		}
		catch (RuntimeException ex) {
			return Duration.ofSeconds(30);
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

}
