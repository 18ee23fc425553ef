package dev.locksmith.cli;

import java.io.PrintStream;
import java.util.Optional;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code locksmith mutex get NAME}: the mutex's status.
 */
@Command(name = "get", mixinStandardHelpOptions = true, versionProvider = LocksmithCli.Version.class,
		synopsisHeading = "usage: ", description = "Show whether a mutex is locked, by whom and until when.",
		footer = "%n" + LocksmithCli.EXIT_CODES)
final class MutexGetCommand extends MutexCommand {

	@Parameters(index = "0", paramLabel = "NAME", description = "the mutex")
	String name = "";

	MutexGetCommand(LocksmithCli.Root root) {
		super(root);
	}

	@Override
	public Integer call() {
		String name = Names.normalise("mutex name", this.name);
		Optional<JsonNode> lock = client().find(name);
		PrintStream out = this.root.out();
		out.println("name: " + name);
		if (lock.isEmpty()) {
			out.println("phase: Unlocked");
			return 0;
		}
		JsonNode held = lock.get();
		out.println("phase: Locked");
		out.println("holder: " + held.path("who").asString());
		out.println("lockedAt: " + held.path("createdAt").asString());
		out.println("expiresAt: " + held.path("expiresAt").asString());
		out.println("fencingToken: " + held.path("fencingToken").asLong());
		out.println("id: " + held.path("id").asString());
		return 0;
	}

}
