package dev.locksmith.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ExtendLockRequest;
import dev.locksmith.server.grpc.v1alpha1.GetLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksResponse;
import dev.locksmith.server.grpc.v1alpha1.Lock;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import dev.locksmith.server.grpc.v1alpha1.UnLockRequest;
import dev.locksmith.server.grpc.v1alpha1.UnLockResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The gRPC API over a real port and a real channel: the four methods of the original service, the
 * conflict, the additions and bad input.
 */
class GrpcApiTests extends LockServerTestSupport {

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
	void createGetListUnlock() {
		Lock created = this.stub.createLock(
				CreateLockRequest.newBuilder().setService("production-deployment").setWho("ci-pipeline-123").build());
		assertThat(created.getId()).isNotBlank();
		assertThat(created.getService()).isEqualTo("production-deployment");
		assertThat(created.getWho()).isEqualTo("ci-pipeline-123");
		assertThat(created.getCreatedAt().getSeconds()).isPositive();
		assertThat(created.getExpiresAt().getSeconds()).isGreaterThan(created.getCreatedAt().getSeconds());
		assertThat(created.getFencingToken()).isPositive();

		Lock fetched = this.stub.getLock(GetLockRequest.newBuilder().setId(created.getId()).build());
		assertSameLock(fetched, created);

		ListLocksResponse list = this.stub.listLocks(ListLocksRequest.getDefaultInstance());
		assertThat(list.getTotal()).isEqualTo(1);
		assertThat(list.getPage()).isEqualTo(1);
		assertThat(list.getPerPage()).isEqualTo(ServiceLocks.DEFAULT_PER_PAGE);
		assertThat(list.getLocksList()).hasSize(1);
		assertSameLock(list.getLocks(0), created);

		UnLockResponse unlocked = this.stub.unLock(UnLockRequest.newBuilder().setId(created.getId()).build());
		assertThat(unlocked.getSuccess()).isTrue();
		assertThat(unlocked.getMessage()).contains("production-deployment");

		assertCode(() -> this.stub.getLock(GetLockRequest.newBuilder().setId(created.getId()).build()),
				Status.Code.NOT_FOUND);
		assertCode(() -> this.stub.unLock(UnLockRequest.newBuilder().setId(created.getId()).build()),
				Status.Code.NOT_FOUND);
		assertThat(this.stub.listLocks(ListLocksRequest.getDefaultInstance()).getTotal()).isZero();
	}

	@Test
	void conflictIsAlreadyExistsWithTheHolderAsDetail() throws InvalidProtocolBufferException {
		Lock held = this.stub.createLock(CreateLockRequest.newBuilder().setService("deploy").setWho("first").build());
		StatusRuntimeException conflict = catchThrowableOfType(StatusRuntimeException.class,
				() -> this.stub.createLock(CreateLockRequest.newBuilder().setService("deploy").setWho("second").build()));
		assertThat(conflict.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
		assertThat(conflict.getStatus().getDescription()).contains("lock already exists").contains("first");
		com.google.rpc.Status details = StatusProto.fromThrowable(conflict);
		assertThat(details).isNotNull();
		assertSameLock(details.getDetails(0).unpack(Lock.class), held);
		assertThat(this.stub.getLock(GetLockRequest.newBuilder().setId(held.getId()).build()).getWho())
			.isEqualTo("first");
	}

	@Test
	void listPagesAndExtend() {
		for (String service : new String[] { "c", "a", "b" }) {
			this.stub.createLock(CreateLockRequest.newBuilder().setService(service).setWho("me").setTtl("2s").build());
		}
		ListLocksResponse second = this.stub
			.listLocks(ListLocksRequest.newBuilder().setPerPage(2).setPage(2).build());
		assertThat(second.getTotal()).isEqualTo(3);
		assertThat(second.getLocksList()).extracting(Lock::getService).containsExactly("c");
		Lock a = this.stub.listLocks(ListLocksRequest.newBuilder().setPerPage(1).build()).getLocks(0);
		Lock extended = this.stub.extendLock(ExtendLockRequest.newBuilder().setId(a.getId()).setTtl("1h").build());
		assertThat(extended.getExpiresAt().getSeconds() - a.getCreatedAt().getSeconds()).isGreaterThan(3500);
	}

	@Test
	void aBareNumberTtlMeansSecondsAsOverRest() {
		Lock created = this.stub
			.createLock(CreateLockRequest.newBuilder().setService("bare").setWho("me").setTtl("120").build());
		assertThat(created.getExpiresAt().getSeconds() - created.getCreatedAt().getSeconds()).isBetween(119L, 121L);
	}

	@Test
	void aLockTakenOverGrpcIsVisibleAndReleasableOverRest() {
		Lock created = this.stub.createLock(CreateLockRequest.newBuilder().setService("both").setWho("grpc").build());
		Reply fetched = get("/api/v1alpha1/lock/" + created.getId());
		assertThat(fetched.status()).isEqualTo(200);
		assertThat(fetched.text("who")).isEqualTo("grpc");
		assertThat(post("/api/v1alpha1/lock", lockBody("both", "rest")).status()).isEqualTo(409);
		assertThat(get("/api/v1alpha1/unlock/" + created.getId()).status()).isEqualTo(200);
		assertCode(() -> this.stub.unLock(UnLockRequest.newBuilder().setId(created.getId()).build()),
				Status.Code.NOT_FOUND);
	}

	@Test
	void badInputIsInvalidArgumentAndLocksNothing() {
		assertCode(() -> this.stub.createLock(CreateLockRequest.newBuilder().setWho("me").build()),
				Status.Code.INVALID_ARGUMENT, "service");
		assertCode(() -> this.stub.createLock(CreateLockRequest.newBuilder().setService("x").build()),
				Status.Code.INVALID_ARGUMENT, "who");
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("x").setWho("me").setTtl("forever").build()),
				Status.Code.INVALID_ARGUMENT, "ttl");
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("x").setWho("me").setTtl("1000h").build()),
				Status.Code.INVALID_ARGUMENT, "ttl");
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("x").setWho("me").setWait("-1s").build()),
				Status.Code.INVALID_ARGUMENT, "wait");
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("x".repeat(300)).setWho("me").build()),
				Status.Code.INVALID_ARGUMENT, "service");
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("x").setWho("y".repeat(20_000)).build()),
				Status.Code.RESOURCE_EXHAUSTED);
		assertCode(() -> this.stub.getLock(GetLockRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "id");
		assertCode(() -> this.stub.unLock(UnLockRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "id");
		assertCode(() -> this.stub.getLock(GetLockRequest.newBuilder().setId("null").build()), Status.Code.NOT_FOUND);
		assertCode(() -> this.stub.unLock(UnLockRequest.newBuilder().setId("garbage.id").build()),
				Status.Code.NOT_FOUND);
		assertCode(() -> this.stub.extendLock(ExtendLockRequest.newBuilder().setId("garbage.id").build()),
				Status.Code.NOT_FOUND);
		assertCode(() -> this.stub.listLocks(ListLocksRequest.newBuilder().setPerPage(-1).build()),
				Status.Code.INVALID_ARGUMENT, "per_page");
		assertCode(() -> this.stub.listLocks(ListLocksRequest.newBuilder().setPage(-2).build()),
				Status.Code.INVALID_ARGUMENT, "page");
		assertThat(heldCount()).isZero();
	}

	@Test
	void namesAreNormalisedAndInvisibleCharactersRejected() {
		Lock held = this.stub.createLock(CreateLockRequest.newBuilder().setService("deploy").setWho("first").build());
		assertCode(() -> this.stub.createLock(CreateLockRequest.newBuilder().setService("deploy ").setWho("second").build()),
				Status.Code.ALREADY_EXISTS);
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("deploy\u200b").setWho("second").build()),
				Status.Code.INVALID_ARGUMENT, "service", "U+200B");
		assertCode(() -> this.stub.createLock(
				CreateLockRequest.newBuilder().setService("other").setWho("se\u200dcond").build()),
				Status.Code.INVALID_ARGUMENT, "who");
		assertThat(this.stub.listLocks(ListLocksRequest.getDefaultInstance()).getLocksList()).extracting(Lock::getId)
			.containsExactly(held.getId());
	}

	@Test
	void reflectionListsTheLockService() throws InterruptedException {
		List<String> services = new ArrayList<>();
		CountDownLatch done = new CountDownLatch(1);
		StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(this.channel)
			.serverReflectionInfo(new StreamObserver<>() {
				@Override
				public void onNext(ServerReflectionResponse response) {
					for (ServiceResponse service : response.getListServicesResponse().getServiceList()) {
						services.add(service.getName());
					}
				}

				@Override
				public void onError(Throwable error) {
					done.countDown();
				}

				@Override
				public void onCompleted() {
					done.countDown();
				}
			});
		requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
		requests.onCompleted();
		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(services).contains("tracker.lock.v1alpha1.LockService");
	}

	/** Same lock; the expiry may differ by the backend's clock reading (the memory provider derives it). */
	private static void assertSameLock(Lock actual, Lock expected) {
		assertThat(actual.toBuilder().clearExpiresAt().build()).isEqualTo(expected.toBuilder().clearExpiresAt().build());
		assertThat(Math.abs(actual.getExpiresAt().getSeconds() - expected.getExpiresAt().getSeconds())).isLessThanOrEqualTo(1);
	}

	private static void assertCode(Runnable call, Status.Code code, String... mentions) {
		StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, call::run);
		assertThat(error).as("expected %s", code).isNotNull();
		assertThat(error.getStatus().getCode()).isEqualTo(code);
		for (String mention : mentions) {
			assertThat(error.getStatus().getDescription()).contains(mention);
		}
	}

}
