package dev.locksmith.sample;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.OnLocked;

/**
 * A data migration that runs once across instances: every instance tries at startup, one wins the lock,
 * the others skip. The ledger (a table, in a real application) records that it ran. Started by
 * {@link SampleApplication#runMigrations}: a call from another bean, so that it goes through the lock
 * advice (a method calling its own {@code @DistributedLock} method bypasses the proxy).
 */
@Component
public class MigrationJob {

	private static final Logger logger = LoggerFactory.getLogger(MigrationJob.class);

	private final Set<String> ledger = ConcurrentHashMap.newKeySet();

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
