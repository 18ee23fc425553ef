package dev.locksmith.server;

import java.util.concurrent.TimeUnit;

import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.Lock;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import io.grpc.ManagedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code spring.threads.virtual.enabled=true}, gRPC calls (and their waits for a lock) run on virtual
 * threads: after a call no platform {@code locksmith-grpc-} thread is left (the pool keeps idle threads for
 * 30 s, so a platform one would still be alive). Needs JDK 21+: the build runs on JDK 17 and skips it; run it
 * by hand with {@code JAVA_HOME} set to a JDK 21+.
 */
@EnabledForJreRange(min = JRE.JAVA_21)
@TestPropertySource(properties = "spring.threads.virtual.enabled=true")
class GrpcVirtualThreadsTests extends LockServerTestSupport {

	@Test
	void callsRunOnVirtualThreads() throws InterruptedException {
		ManagedChannel channel = channel();
		try {
			Lock created = LockServiceGrpc.newBlockingStub(channel)
				.withDeadlineAfter(20, TimeUnit.SECONDS)
				.createLock(CreateLockRequest.newBuilder().setService("virtual").setWho("test").build());
			assertThat(created.getId()).isNotBlank();
			assertThat(Thread.getAllStackTraces().keySet())
				.noneMatch((thread) -> thread.getName().startsWith("locksmith-grpc-"));
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
	}

}
