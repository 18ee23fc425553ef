package dev.locksmith.sim;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checker itself: a backend that restarts its fencing counter from zero breaks invariant 2 (the
 * defects and mutants listed in the README show the other invariants failing), and the same run on a
 * backend that seeds its tokens passes.
 */
class LeaseInvariantsTests {

	private static final List<Op> ACQUIRE_RESTART_ACQUIRE = List.of(
			new Op.Acquire(0, "a", Op.Mode.TRY, 300, false, 0, 0), new Op.Acquire(0, "a", Op.Mode.TRY, 300, false, 0, 0),
			new Op.Restart(), new Op.Acquire(1, "a", Op.Mode.TRY, 300, false, 0, 0));

	@Test
	void tokensThatRestartFromZeroBreakInvariantTwo() {
		Simulation simulation = new Simulation(7);
		simulation.backend().seedTokensOnRestart = false;
		Simulation.Result result = simulation.run(ACQUIRE_RESTART_ACQUIRE);
		assertThat(result.violation()).isNotNull();
		assertThat(result.violation().invariant()).isEqualTo(2);
		assertThat(result.violation().message()).contains("fencing token 1 granted on 'a'", "not above the previous grant's 1");
	}

	@Test
	void tokensSeededAboveTheOldOnesKeepInvariantTwo() {
		Simulation.Result result = new Simulation(7).run(ACQUIRE_RESTART_ACQUIRE);
		assertThat(result.violation()).isNull();
	}

}
