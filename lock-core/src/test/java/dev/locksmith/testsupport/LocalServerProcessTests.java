package dev.locksmith.testsupport;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ports for test servers come from outside the kernel's ephemeral range, so an outgoing connection cannot
 * take one between the pick and the server's bind (an etcd cluster test failed that way in CI), and
 * are never handed out twice in one JVM.
 */
class LocalServerProcessTests {

	@Test
	void portsAreOutsideTheEphemeralRangeAndNeverRepeated() throws Exception {
		int[] ephemeral = LocalServerProcess.ephemeralRange();
		Set<Integer> seen = new HashSet<>();
		for (int i = 0; i < 200; i++) {
			int port = LocalServerProcess.freePort();
			assertThat(port).as("port %d against the ephemeral range %d-%d", port, ephemeral[0], ephemeral[1])
				.matches((p) -> p < ephemeral[0] || p > ephemeral[1]);
			assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
		}
	}

}
