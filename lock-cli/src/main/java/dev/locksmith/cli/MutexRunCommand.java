package dev.locksmith.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code locksmith mutex run NAME --holder H [--timeout D] [--ttl D] [--on-lost terminate|warn] -- command
 * args…}: holds a mutex exactly while a command runs, like {@code flock(1)}.
 *
 * <p>Acquires as {@code lock} does, runs the command with this process's standard streams, extends the
 * lease every third of its TTL, releases it when the command exits and exits with the command's code.
 * SIGINT/SIGTERM to this process reach the command (a shutdown hook stops it, then releases). If the lease
 * is lost (the service refuses the extension, or cannot be reached until the lease would have expired), the
 * command is stopped ({@code --on-lost terminate}, the default: SIGTERM, then SIGKILL after 10 s) or left
 * running with a warning ({@code warn}); either way the exit code is {@value #LEASE_LOST}. A CLI killed
 * with SIGKILL cannot release: the lease then expires within its TTL.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = LocksmithCli.Version.class,
		synopsisHeading = "usage: ",
		description = { "Run a command while holding a mutex: acquire (waiting as lock does), run it, extend the "
				+ "lease every third of its TTL, release when it exits, and exit with its exit code.",
				"SIGINT/SIGTERM are forwarded to the command. If the lease is lost, the command is terminated "
						+ "(or, with --on-lost warn, left running) and the exit code is " + MutexRunCommand.LEASE_LOST
						+ "." },
		footer = "%n" + LocksmithCli.EXIT_CODES)
final class MutexRunCommand extends MutexCommand {

	/** The exit code when the lease was lost while the command ran ({@link LocksmithCli#EXIT_CODES} too). */
	static final int LEASE_LOST = 75;

	/** The exit code when the command cannot be started (as a shell's "command not found"). */
	static final int CANNOT_START = 127;

	/** How long a terminated command gets to exit before it is killed. */
	private static final Duration GRACE = Duration.ofSeconds(10);

	/** What to do with the command when the lease is lost. */
	enum OnLost {

		/** Stop the command: SIGTERM, then SIGKILL after a grace period. */
		terminate,

		/** Only print a warning; the command runs on. */
		warn

	}

	@Parameters(index = "0", paramLabel = "NAME", description = "the mutex")
	String name = "";

	@Parameters(index = "1..*", paramLabel = "COMMAND", arity = "1..*",
			description = "the command and its arguments, after --")
	List<String> command = new ArrayList<>();

	@Option(names = "--holder", required = true, paramLabel = "HOLDER",
			description = "who holds it; give every run its own (host name and process id)")
	String holder = "";

	@Option(names = "--timeout", paramLabel = "DURATION",
			description = "how long to wait for the mutex (default: until free; 0 tries once)")
	@Nullable String timeout;

	@Option(names = "--ttl", paramLabel = "DURATION",
			description = "lease time to live (default: the service's); extended every third of it")
	@Nullable String ttl;

	@Option(names = "--on-lost", paramLabel = "ACTION", defaultValue = "terminate",
			description = "when the lease is lost: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
	OnLost onLost = OnLost.terminate;

	MutexRunCommand(LocksmithCli.Root root) {
		super(root);
	}

	@Override
	public Integer call() throws InterruptedException {
		MutexClient client = client();
		MutexLockCommand.Acquired lease = MutexLockCommand.acquire(client, this.name, this.holder, this.timeout,
				this.ttl, this.root.out(), this.root.err());
		if (lease == null) {
			return 1;
		}
		// every extension asks for the TTL the schedule below assumes (the one granted), never the default, which
		// may have changed since (a Mutex's spec.ttl edited while the command runs)
		String ttlText = lease.ttl().toString();
		AtomicBoolean done = new AtomicBoolean();
		AtomicBoolean lost = new AtomicBoolean();
		ScheduledExecutorService extender = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "locksmith-run-extend");
			thread.setDaemon(true);
			return thread;
		});
		Object guard = new Object();
		Process[] child = new Process[1];
		Thread hook = new Thread(() -> {
			// SIGINT/SIGTERM (or System.exit): stop the command, then give the lease back. Registered before
			// the command starts, so a signal right after its start still reaches it.
			Process started;
			synchronized (guard) {
				if (!done.compareAndSet(false, true)) {
					return;
				}
				extender.shutdownNow();
				started = child[0];
			}
			if (started != null) {
				stop(started);
			}
			release(client, lease.id());
		}, "locksmith-run-shutdown");
		Runtime.getRuntime().addShutdownHook(hook);
		Process process;
		synchronized (guard) {
			if (done.get()) {
				hook.join(); // shutting down before the command started: the hook releases, with this client
				return 1;
			}
			try {
				process = new ProcessBuilder(this.command).inheritIO().start();
			}
			catch (IOException ex) {
				done.set(true);
				extender.shutdownNow();
				removeHook(hook);
				release(client, lease.id());
				this.root.err().println("locksmith: cannot run " + this.command.get(0) + ": " + ex.getMessage());
				return CANNOT_START;
			}
			child[0] = process;
			long period = Math.max(1, lease.ttl().toMillis() / 3);
			long[] expiresAt = { System.nanoTime() + lease.ttl().toNanos() };
			extender.scheduleWithFixedDelay(() -> {
				if (lost.get()) {
					return;
				}
				if (extend(client, lease.id(), ttlText, expiresAt, lease.ttl(), period)) {
					return;
				}
				lost.set(true);
				this.root.err().println("locksmith: lost the lease on mutex/" + this.name.strip()
						+ ((this.onLost == OnLost.terminate) ? "; stopping the command" : "; the command runs on"));
				if (this.onLost == OnLost.terminate) {
					stop(process);
				}
			}, period, period, TimeUnit.MILLISECONDS);
		}
		int exitCode;
		try {
			exitCode = process.waitFor();
		}
		finally {
			extender.shutdownNow();
			if (done.compareAndSet(false, true)) {
				if (!lost.get()) {
					release(client, lease.id());
				}
				removeHook(hook);
			}
			else {
				// SIGTERM/SIGINT: the hook stopped the command and releases; the client stays open until it has
				hook.join();
			}
		}
		return lost.get() ? LEASE_LOST : exitCode;
	}

	private static void removeHook(Thread hook) {
		try {
			Runtime.getRuntime().removeShutdownHook(hook);
		}
		catch (IllegalStateException ex) {
			// the JVM is shutting down already
		}
	}

	/**
	 * Extends the lease; {@code false} once it is lost: refused by the service (404), or not extended while
	 * it may expire before the next attempt (so the command is stopped before another holder can get in).
	 */
	private static boolean extend(MutexClient client, String id, @Nullable String ttl, long[] expiresAt,
			Duration granted, long periodMillis) {
		long sent = System.nanoTime();
		try {
			MutexClient.Reply reply = client.extend(id, ttl);
			if (reply.status() == 200) {
				expiresAt[0] = sent + granted.toNanos();
				return true;
			}
			if (reply.status() == 404) {
				return false;
			}
		}
		catch (CliException ex) {
			// unreachable: keep trying while the lease may still be valid
		}
		return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(periodMillis) - expiresAt[0] < 0;
	}

	/**
	 * Gives the lease back; a service that cannot be reached now only delays that to the lease's expiry, so
	 * the command's exit code is still what {@code run} exits with.
	 */
	private void release(MutexClient client, String id) {
		try {
			client.release(id);
		}
		catch (CliException ex) {
			this.root.err().println("locksmith: could not release mutex/" + this.name.strip() + " (it expires within"
					+ " its TTL): " + ex.getMessage());
		}
	}

	private static void stop(Process process) {
		process.destroy();
		try {
			if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
				process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
	}

}
