package dev.locksmith.sample;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.OnLocked;

/**
 * A data migration that runs once across instances: every instance tries at startup, one wins the lock,
 * the others skip. The ledger (a table, in a real application) records that it ran.
 */
@Component
public class MigrationJob implements ApplicationRunner {

	private static final Logger logger = LoggerFactory.getLogger(MigrationJob.class);

	private final Set<String> ledger = ConcurrentHashMap.newKeySet();

	@Override
	public void run(ApplicationArguments args) {
		migrate("v2");
	}

	/**
	 * Runs migration {@code version} unless it already ran or another instance is running it.
	 * @param version the migration version
	 * @return whether this call ran it
	 */
	@DistributedLock(key = "'migration:' + #version", name = "migration", onLocked = OnLocked.SKIP)
	public boolean migrate(String version) {
		if (!this.ledger.add(version)) {
			return false;
		}
		logger.info("Migration {} ran on this instance", version);
		return true;
	}

}
