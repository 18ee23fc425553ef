package dev.locksmith.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.google.common.util.concurrent.ListenableFuture;
import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.Lock;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A gRPC create that waits for a held lock and is then cancelled by its client (no deadline: Ctrl-C in
 * grpcurl, a client that shuts down) stops waiting at once: it gives back its waiting slot and its gRPC
 * thread, and it never takes the lock after its client has gone.
 */
@TestPropertySource(properties = { "locksmith.server.max-waiting-requests=1", "locksmith.server.max-wait=60s" })
class GrpcCancelledWaitTests extends LockServerTestSupport {

	private ManagedChannel channel;

	@BeforeEach
	void connect() {
		this.channel = channel();
	}

	@AfterEach
	void disconnect() throws InterruptedException {
		this.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
	}

	@Test
	void aCancelledWaitingCreateGivesItsSlotBackAndNeverTakesTheLock() throws Exception {
		String holder = post("/api/v1alpha1/lock", lockBody("cancelled-wait", "holder")).text("id");
		ListenableFuture<Lock> waiting = LockServiceGrpc.newFutureStub(this.channel)
			.createLock(CreateLockRequest.newBuilder()
				.setService("cancelled-wait")
				.setWho("gone")
				.setWait("50s")
				.build());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 1);

		waiting.cancel(true);

		// the slot is free again long before the 50 s wait would have ended
		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 0);
		StatusRuntimeException conflict = catchThrowableOfType(StatusRuntimeException.class,
				() -> LockServiceGrpc.newBlockingStub(this.channel)
					.withDeadlineAfter(20, TimeUnit.SECONDS)
					.createLock(CreateLockRequest.newBuilder()
						.setService("cancelled-wait")
						.setWho("next")
						.setWait("200ms")
						.build()));
		assertThat(conflict.getStatus().getCode()).as("a waiting slot was free").isEqualTo(Status.Code.ALREADY_EXISTS);
		// released: nobody takes it on behalf of the cancelled caller
		assertThat(get("/api/v1alpha1/unlock/" + holder).status()).isEqualTo(200);
		assertThat(heldCount()).isZero();
	}

	@Test
	void aWaitingCreateWhoseClientWentAwayNeverTakesTheLock() throws Exception {
		String holder = post("/api/v1alpha1/lock", lockBody("gone-client", "holder")).text("id");
		ManagedChannel gone = channel();
		LockServiceGrpc.newFutureStub(gone)
			.createLock(CreateLockRequest.newBuilder().setService("gone-client").setWho("gone").setWait("50s").build());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 1);

		// the client process goes away: its connection closes, no cancel is sent for the call
		gone.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		assertThat(get("/api/v1alpha1/unlock/" + holder).status()).isEqualTo(200);

		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 0);
		assertThat(heldCount()).as("nobody holds the lock on behalf of the gone client").isZero();
	}

}
