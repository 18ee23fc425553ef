package dev.locksmith.cli;

import java.util.Optional;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code locksmith mutex unlock NAME --holder H}: exit 0 when released, 1 when H does not hold it.
 */
@Command(name = "unlock", mixinStandardHelpOptions = true, versionProvider = LocksmithCli.Version.class,
		synopsisHeading = "usage: ", description = "Unlock a mutex that the holder holds.",
		footer = "%n" + LocksmithCli.EXIT_CODES)
final class MutexUnlockCommand extends MutexCommand {

	@Parameters(index = "0", paramLabel = "NAME", description = "the mutex")
	String name = "";

	@Option(names = "--holder", required = true, paramLabel = "HOLDER", description = "who holds it")
	String holder = "";

	MutexUnlockCommand(LocksmithCli.Root root) {
		super(root);
	}

	@Override
	public Integer call() {
		String name = Names.normalise("mutex name", this.name);
		String holder = Names.normalise("--holder", this.holder);
		MutexClient client = client();
		Optional<JsonNode> lock = client.find(name);
		if (lock.isEmpty()) {
			this.root.err().println("mutex/" + name + " is not locked");
			return 1;
		}
		String who = lock.get().path("who").asString();
		if (!holder.equals(who)) {
			this.root.err().println("mutex/" + name + " is locked by " + who + ", not " + holder);
			return 1;
		}
		MutexClient.Reply reply = client.release(lock.get().path("id").asString());
		if (reply.status() == 404) {
			this.root.err().println("mutex/" + name + " was no longer locked by " + holder);
			return 1;
		}
		if (reply.status() != 200) {
			throw new CliException(3, reply.error());
		}
		this.root.out().println("mutex/" + name + " unlocked");
		return 0;
	}

}
