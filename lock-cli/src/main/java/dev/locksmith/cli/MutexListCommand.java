package dev.locksmith.cli;

import java.util.List;

import picocli.CommandLine.Command;
import tools.jackson.databind.JsonNode;

/**
 * {@code locksmith mutex list}: every locked mutex (with {@code --kubernetes}, every Mutex object, locked or not).
 */
@Command(name = "list", mixinStandardHelpOptions = true, versionProvider = LocksmithCli.Version.class,
		synopsisHeading = "usage: ", description = "List every locked mutex.",
		footer = "%n" + LocksmithCli.EXIT_CODES)
final class MutexListCommand extends MutexCommand {

	MutexListCommand(LocksmithCli.Root root) {
		super(root);
	}

	@Override
	public Integer call() {
		List<JsonNode> locks = client().list();
		String format = "%-32s %-8s %-24s %-22s %-22s%n";
		this.root.out().printf(format, "NAME", "PHASE", "HOLDER", "LOCKED-AT", "EXPIRES-AT");
		for (JsonNode lock : locks) {
			this.root.out().printf(format, lock.path("service").asString(), lock.path("phase").asString("Locked"),
					lock.path("who").asString(), lock.path("createdAt").asString(),
					lock.path("expiresAt").asString());
		}
		return 0;
	}

}
