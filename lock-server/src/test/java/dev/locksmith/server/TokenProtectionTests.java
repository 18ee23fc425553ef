package dev.locksmith.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksRequest;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * With {@code locksmith.server.token} set, requests without the token are refused (401 /
 * {@code UNAUTHENTICATED}) and change nothing.
 */
@TestPropertySource(properties = "locksmith.server.token=s3cret")
class TokenProtectionTests extends LockServerTestSupport {

	@Test
	void restRequestsNeedTheBearerToken() {
		Reply anonymous = post("/api/v1alpha1/lock", lockBody("guarded", "me"));
		assertThat(anonymous.status()).isEqualTo(401);
		assertThat(anonymous.text("error")).contains("token");
		assertThat(anonymous.raw().headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
		Reply wrong = send(request("/api/v1alpha1/lock").header("Authorization", "Bearer nope")
			.POST(java.net.http.HttpRequest.BodyPublishers.ofString(lockBody("guarded", "me"))));
		assertThat(wrong.status()).isEqualTo(401);
		assertThat(heldCount()).isZero();

		Reply created = send(request("/api/v1alpha1/lock").header("Authorization", "Bearer s3cret")
			.POST(java.net.http.HttpRequest.BodyPublishers.ofString(lockBody("guarded", "me"))));
		assertThat(created.status()).isEqualTo(200);
		String id = created.text("id");

		assertThat(get("/api/v1alpha1/unlock/" + id).status()).isEqualTo(401);
		assertThat(delete("/api/v1alpha1/lock/" + id).status()).isEqualTo(401);
		assertThat(post("/api/v1alpha1/lock/" + id + "/extend", "{}").status()).isEqualTo(401);
		assertThat(get("/api/v1alpha1/lock/" + id).status()).isEqualTo(401);
		assertThat(get("/api/v1alpha1/locks/list").status()).isEqualTo(401);
		assertThat(heldCount()).as("the lock survived the anonymous unlock attempts").isEqualTo(1);

		assertThat(send(request("/api/v1alpha1/unlock/" + id).header("Authorization", "Bearer s3cret").GET()).status())
			.isEqualTo(200);
		assertThat(heldCount()).isZero();
	}

	@Test
	void grpcCallsNeedTheBearerToken() throws InterruptedException {
		ManagedChannel channel = channel();
		try {
			LockServiceGrpc.LockServiceBlockingStub anonymous = LockServiceGrpc.newBlockingStub(channel);
			StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> anonymous
				.createLock(CreateLockRequest.newBuilder().setService("guarded").setWho("me").build()));
			assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
			assertThat(heldCount()).isZero();

			Metadata headers = new Metadata();
			headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer s3cret");
			LockServiceGrpc.LockServiceBlockingStub authorized = anonymous
				.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
			// refused calls give their gRPC slot back: many more than the pool's bound, then a real call
			for (int i = 0; i < 200; i++) {
				assertThat(catchThrowableOfType(StatusRuntimeException.class,
						() -> anonymous.listLocks(ListLocksRequest.getDefaultInstance()))
					.getStatus()
					.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
			}
			authorized.createLock(CreateLockRequest.newBuilder().setService("guarded").setWho("me").build());
			assertThat(authorized.listLocks(ListLocksRequest.getDefaultInstance()).getTotal()).isEqualTo(1);
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
	}

	@Test
	void reflectionWithoutTheTokenIsRefusedToo() throws InterruptedException {
		ManagedChannel channel = channel();
		try {
			for (boolean v1 : new boolean[] { true, false }) {
				Status status = v1 ? listServicesV1(channel) : listServicesV1Alpha(channel);
				assertThat(status.getCode()).as(v1 ? "reflection v1" : "reflection v1alpha")
					.isEqualTo(Status.Code.UNAUTHENTICATED);
			}
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
	}

	/** Asks the server for its services over reflection v1 and returns how the call ended. */
	private static Status listServicesV1(ManagedChannel channel) throws InterruptedException {
		CompletableFuture<Status> done = new CompletableFuture<>();
		StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> requests = io.grpc.reflection.v1.ServerReflectionGrpc
			.newStub(channel)
			.serverReflectionInfo(new StreamObserver<>() {
				@Override
				public void onNext(io.grpc.reflection.v1.ServerReflectionResponse response) {
					done.completeExceptionally(new AssertionError("services listed without the token: " + response));
				}

				@Override
				public void onError(Throwable error) {
					done.complete(Status.fromThrowable(error));
				}

				@Override
				public void onCompleted() {
					done.complete(Status.OK);
				}
			});
		requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
		requests.onCompleted();
		return done.orTimeout(10, TimeUnit.SECONDS).join();
	}

	@SuppressWarnings("deprecation")
	private static Status listServicesV1Alpha(ManagedChannel channel) throws InterruptedException {
		CompletableFuture<Status> done = new CompletableFuture<>();
		StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests = io.grpc.reflection.v1alpha.ServerReflectionGrpc
			.newStub(channel)
			.serverReflectionInfo(new StreamObserver<>() {
				@Override
				public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse response) {
					done.completeExceptionally(new AssertionError("services listed without the token: " + response));
				}

				@Override
				public void onError(Throwable error) {
					done.complete(Status.fromThrowable(error));
				}

				@Override
				public void onCompleted() {
					done.complete(Status.OK);
				}
			});
		requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());
		requests.onCompleted();
		return done.orTimeout(10, TimeUnit.SECONDS).join();
	}

}
