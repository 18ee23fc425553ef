package dev.locksmith.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random operation sequences from a seed: the same seed gives the same sequence.
 */
public final class OpGenerator {

	private static final String[] KEYS = { "a", "b", "c" };

	private static final long[] TTLS = { 0, 0, 300, 300, 1_000, 3_000, 10_000 };

	private static final long[] EXTEND_TTLS = { 300, 500, 1_000, 3_000, 60_000 };

	private static final long[] WAITS = { 0, 0, 0, 100, 500, 2_000 };

	/**
	 * Operation kinds left out, from {@code -Dlocksmith.sim.without=Extend,LoseReplyNext,huge} (simple class
	 * names of {@link Op}s, and {@code huge} for huge TTLs, waits and minimum holds). Used to look for one
	 * defect while another, already known, would be found first.
	 */
	static final java.util.Set<String> WITHOUT = java.util.Set.of(System.getProperty("locksmith.sim.without", "").split(","));

	static final boolean HUGE = !WITHOUT.contains("huge");

	static final boolean LOST_REPLIES = true;

	private final SplittableRandom random;

	private final int clients;

	/**
	 * Creates a generator.
	 * @param seed the seed
	 * @param clients how many clients
	 */
	public OpGenerator(long seed, int clients) {
		this.random = new SplittableRandom(seed);
		this.clients = clients;
	}

	/**
	 * Returns a sequence of {@code length} operations.
	 * @param length how many
	 * @return the operations
	 */
	public List<Op> sequence(int length) {
		List<Op> ops = new ArrayList<>(length);
		for (int i = 0; i < length; i++) {
			Op op = next();
			if (!WITHOUT.contains(op.getClass().getSimpleName())) {
				ops.add(op);
			}
		}
		return ops;
	}

	private Op next() {
		int c = this.random.nextInt(this.clients);
		int roll = this.random.nextInt(1000);
		if (roll < 300) {
			return acquire(c);
		}
		if (roll < 420) {
			return new Op.Release(c, this.random.nextInt(64));
		}
		if (roll < 520) {
			return new Op.Extend(c, this.random.nextInt(64), pick(EXTEND_TTLS));
		}
		if (roll < 760) {
			long ms = switch (this.random.nextInt(4)) {
				case 0 -> 1 + this.random.nextInt(20);
				case 1 -> 20 + this.random.nextInt(300);
				case 2 -> 300 + this.random.nextInt(3_000);
				default -> 3_000 + this.random.nextInt(12_000);
			};
			return new Op.Advance(ms);
		}
		if (roll < 800) {
			return new Op.AcquireDetached(c, pick(KEYS), pick(new long[] { 300, 1_000, 5_000 }));
		}
		if (roll < 830) {
			return new Op.ReleaseDetached(c, this.random.nextInt(16));
		}
		if (roll < 880) {
			return new Op.FailNext(c, 1 + this.random.nextInt(3));
		}
		if (roll < 940 && LOST_REPLIES) {
			return new Op.LoseReplyNext(c, 1 + this.random.nextInt(2));
		}
		if (roll < 960) {
			return new Op.Outage(50 + this.random.nextInt(1_500));
		}
		if (roll < 975) {
			return new Op.Restart();
		}
		if (roll < 985) {
			return new Op.Close(c);
		}
		return acquire(c);
	}

	private Op acquire(int c) {
		Op.Mode mode = switch (this.random.nextInt(10)) {
			case 0, 1, 2, 3 -> Op.Mode.TRY;
			case 4, 5 -> Op.Mode.BLOCK;
			case 6, 7 -> Op.Mode.READ;
			case 8 -> Op.Mode.RW_WRITE;
			default -> Op.Mode.PERMIT;
		};
		long ttl = (this.random.nextInt(60) == 0 && HUGE) ? -1 : pick(TTLS);
		long wait = (this.random.nextInt(60) == 0 && HUGE) ? -1 : pick(WAITS);
		if (mode == Op.Mode.BLOCK && wait == 0) {
			wait = 500;
		}
		long minHold = (this.random.nextInt(80) == 0 && HUGE) ? -1 : (this.random.nextInt(8) == 0) ? 200 : 0;
		boolean autoExtend = (ttl == 0) || this.random.nextInt(3) > 0;
		// some auto-extended leases with their own renewal period (half the TTL), some also with a timeout
		long period = (autoExtend && ttl > 0 && this.random.nextInt(3) == 0) ? ttl / 2 : 0;
		long timeout = (period > 0 && this.random.nextBoolean()) ? ttl / 4 : 0;
		return new Op.Acquire(c, pick(KEYS), mode, ttl, autoExtend, wait, minHold, period, timeout);
	}

	private long pick(long[] values) {
		return values[this.random.nextInt(values.length)];
	}

	private String pick(String[] values) {
		return values[this.random.nextInt(values.length)];
	}

}
