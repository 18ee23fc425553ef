package dev.locksmith.benchmarks.jmh;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;

/**
 * Single-threaded acquire+release on the in-memory provider through the full engine (lease, fencing
 * token, renewal registration, events), on a rotating set of keys.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MemoryProviderBenchmark {

	private static final LockOptions TRY_ONCE = LockOptions.waitTime(Duration.ZERO);

	private final String[] keys = new String[1024];

	private LockEngine engine;

	private int next;

	/** Builds the engine. */
	@Setup(Level.Trial)
	public void setUp() {
		this.engine = Locksmith.builder(new MemoryLockProvider()).build();
		for (int i = 0; i < this.keys.length; i++) {
			this.keys[i] = "jmh:" + i;
		}
	}

	/** Closes the engine. */
	@TearDown(Level.Trial)
	public void tearDown() {
		this.engine.close();
	}

	/**
	 * Acquires (try once) and releases one key.
	 * @return the fencing token, so the work is not eliminated
	 */
	@Benchmark
	public long memoryAcquireRelease() {
		String key = this.keys[this.next++ & (this.keys.length - 1)];
		try (LockHandle handle = this.engine.tryAcquire(key, TRY_ONCE).orElseThrow()) {
			return handle.fencingToken();
		}
	}

}
