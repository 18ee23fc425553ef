package dev.locksmith.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksRequest;
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
 * Waiting create requests and gRPC calls are bounded: with the bound filled by real requests blocked in
 * the server, the next one is refused at once (503 / {@code RESOURCE_EXHAUSTED}) instead of taking another
 * thread, and once the blocked ones finish the service serves again.
 */
@TestPropertySource(properties = { "locksmith.server.max-waiting-requests=2", "locksmith.server.grpc.max-threads=2",
		"locksmith.server.grpc.queue-capacity=0" })
class ServerBoundsTests extends LockServerTestSupport {

	private ManagedChannel channel;

	private LockServiceGrpc.LockServiceBlockingStub stub;

	@BeforeEach
	void connect() {
		this.channel = channel();
		this.stub = LockServiceGrpc.newBlockingStub(this.channel).withDeadlineAfter(20, TimeUnit.SECONDS);
	}

	@AfterEach
	void disconnect() throws InterruptedException {
		this.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
	}

	@Test
	void waitingCreatesAreBoundedAndTheNextOneIsRefusedAtOnce() throws Exception {
		String holder = post("/api/v1alpha1/lock", lockBody("busy", "holder")).text("id");
		List<CompletableFuture<Reply>> waiters = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			String body = "{\"service\": \"busy\", \"who\": \"waiter-" + i + "\", \"wait\": \"10s\"}";
			waiters.add(CompletableFuture.supplyAsync(() -> post("/api/v1alpha1/lock", body)));
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 2);

		Reply refused = post("/api/v1alpha1/lock", "{\"service\": \"busy\", \"who\": \"third\", \"wait\": \"10s\"}");
		assertThat(refused.status()).isEqualTo(503);
		assertThat(refused.text("error")).contains("locksmith.server.max-waiting-requests");
		assertThat(refused.raw().headers().firstValue("Retry-After")).isPresent();
		StatusRuntimeException grpcRefused = catchThrowableOfType(StatusRuntimeException.class, () -> this.stub
			.createLock(CreateLockRequest.newBuilder().setService("busy").setWho("grpc").setWait("10s").build()));
		assertThat(grpcRefused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
		// a create that can be granted at once needs no waiting slot
		Reply free = post("/api/v1alpha1/lock", "{\"service\": \"free\", \"who\": \"me\", \"wait\": \"10s\"}");
		assertThat(free.status()).isEqualTo(200);

		// the holder releases: the two waiters get the lock one after the other
		assertThat(get("/api/v1alpha1/unlock/" + holder).status()).isEqualTo(200);
		Reply first = CompletableFuture.anyOf(waiters.toArray(CompletableFuture[]::new))
			.thenApply(Reply.class::cast)
			.get(10, TimeUnit.SECONDS);
		assertThat(first.status()).isEqualTo(200);
		assertThat(get("/api/v1alpha1/unlock/" + first.text("id")).status()).isEqualTo(200);
		for (CompletableFuture<Reply> waiter : waiters) {
			assertThat(waiter.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
		}
		assertThat(this.serviceLocks.waitingRequests()).isZero();

		// recovered: a waiting create is admitted again (and times out as an ordinary conflict)
		Reply again = post("/api/v1alpha1/lock", "{\"service\": \"busy\", \"who\": \"later\", \"wait\": \"100ms\"}");
		assertThat(again.status()).isEqualTo(409);
	}

	@Test
	void grpcCallsBeyondTheExecutorBoundAreRefusedAtOnce() throws Exception {
		String holder = post("/api/v1alpha1/lock", lockBody("grpc-busy", "holder")).text("id");
		List<CompletableFuture<Lock>> waiters = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			CreateLockRequest request = CreateLockRequest.newBuilder()
				.setService("grpc-busy")
				.setWho("waiter-" + i)
				.setWait("10s")
				.build();
			waiters.add(CompletableFuture.supplyAsync(() -> this.stub.createLock(request)));
		}
		// both executor threads are now blocked in a waiting create
		await().atMost(Duration.ofSeconds(10)).until(() -> this.serviceLocks.waitingRequests() == 2);

		StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
				() -> this.stub.listLocks(ListLocksRequest.getDefaultInstance()));
		assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
		assertThat(refused.getStatus().getDescription()).contains("locksmith.server.grpc.max-threads");
		// REST is a separate pool and still answers
		assertThat(get("/api/v1alpha1/locks/list").status()).isEqualTo(200);

		assertThat(get("/api/v1alpha1/unlock/" + holder).status()).isEqualTo(200);
		Lock first = (Lock) CompletableFuture.anyOf(waiters.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
		assertThat(get("/api/v1alpha1/unlock/" + first.getId()).status()).isEqualTo(200);
		for (CompletableFuture<Lock> waiter : waiters) {
			assertThat(waiter.get(10, TimeUnit.SECONDS).getService()).isEqualTo("grpc-busy");
		}
		// recovered: the executor serves calls again
		await().atMost(Duration.ofSeconds(10)).untilAsserted(
				() -> assertThat(this.stub.listLocks(ListLocksRequest.getDefaultInstance()).getTotal()).isOne());
	}

	@Test
	void refusedAndFailedCallsGiveTheirSlotBack() throws Exception {
		// far more calls than max-threads + queue-capacity (2), one after the other: each ends with an error
		// and must free its slot, or the server would refuse everything after the second
		// (a slot is given back just after the client has its answer, so a call may briefly find both taken)
		for (int i = 0; i < 20; i++) {
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(catchThrowableOfType(
					StatusRuntimeException.class,
					() -> this.stub.createLock(CreateLockRequest.newBuilder().setWho("no-service").build()))
				.getStatus()
				.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
		}
		await().atMost(Duration.ofSeconds(10)).untilAsserted(
				() -> assertThat(this.stub.listLocks(ListLocksRequest.getDefaultInstance()).getTotal()).isZero());
	}

}
