package dev.locksmith.cli;

import java.time.Duration;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code locksmith mutex create NAME --ttl D --kubernetes}: creates the Mutex object with its default TTL, which
 * {@code lock} without {@code --ttl} then uses. Exit 0 when created, 1 when it exists already.
 */
@Command(name = "create", mixinStandardHelpOptions = true, versionProvider = LocksmithCli.Version.class,
		synopsisHeading = "usage: ",
		description = { "Create a Mutex object (with --kubernetes) with the TTL that lock uses when given none.",
				"The name must be a DNS-1123 label (lower-case letters, digits and '-', at most 63)." },
		footer = "%n" + LocksmithCli.EXIT_CODES)
final class MutexCreateCommand extends MutexCommand {

	@Parameters(index = "0", paramLabel = "NAME", description = "the mutex")
	String name = "";

	@Option(names = "--ttl", required = true, paramLabel = "DURATION",
			description = "the mutex's default lock TTL, e.g. 10m, 30s, 1h")
	String ttl = "";

	MutexCreateCommand(LocksmithCli.Root root) {
		super(root);
	}

	@Override
	public Integer call() {
		String name = Names.normalise("mutex name", this.name);
		Duration ttl = LocksmithCli.parseDuration("--ttl", this.ttl);
		MutexClient.Reply reply = client().createMutex(name, ttl);
		if (reply.status() == 409) {
			this.root.err().println(reply.error());
			return 1;
		}
		this.root.out().println("mutex/" + name + " created (ttl " + KubernetesMutexClient.format(ttl) + ")");
		return 0;
	}

}
