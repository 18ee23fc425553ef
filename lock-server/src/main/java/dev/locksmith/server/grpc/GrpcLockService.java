package dev.locksmith.server.grpc;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.server.LockServiceException;
import dev.locksmith.server.ServiceLock;
import dev.locksmith.server.ServiceLockPage;
import dev.locksmith.server.ServiceLocks;
import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ExtendLockRequest;
import dev.locksmith.server.grpc.v1alpha1.GetLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksResponse;
import dev.locksmith.server.grpc.v1alpha1.Lock;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import dev.locksmith.server.grpc.v1alpha1.UnLockRequest;
import dev.locksmith.server.grpc.v1alpha1.UnLockResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;

/**
 * {@code tracker.lock.v1alpha1.LockService} on top of {@link ServiceLocks}: the same semantics as the REST
 * API, with refusals as gRPC status codes ({@code INVALID_ARGUMENT}, {@code NOT_FOUND},
 * {@code ALREADY_EXISTS} with the holder as a {@code Lock} detail, {@code RESOURCE_EXHAUSTED} when too many
 * creates wait, {@code UNAVAILABLE}).
 */
public class GrpcLockService extends LockServiceGrpc.LockServiceImplBase {

	private final ServiceLocks locks;

	/**
	 * Creates the service.
	 * @param locks the lock service
	 */
	public GrpcLockService(ServiceLocks locks) {
		this.locks = locks;
	}

	@Override
	public void createLock(CreateLockRequest request, StreamObserver<Lock> responseObserver) {
		Context context = Context.current();
		call(responseObserver, () -> {
			ServiceLock lock;
			try {
				// a caller that cancels stops the wait soon, giving its waiting slot and thread back
				lock = this.locks.create(request.getService(), request.getWho(), request.getTtl(), request.getWait(),
						timeLeft(), context::isCancelled);
			}
			catch (LockServiceException ex) {
				if (context.isCancelled()) {
					throw Status.CANCELLED.withDescription("call cancelled while waiting").asRuntimeException();
				}
				throw ex;
			}
			if (context.isCancelled()) {
				// nobody will learn the id: give the lock back instead of holding it until its TTL
				this.locks.release(lock.id());
				throw Status.CANCELLED.withDescription("call cancelled while acquiring").asRuntimeException();
			}
			return toProto(lock);
		});
	}

	@Override
	public void getLock(GetLockRequest request, StreamObserver<Lock> responseObserver) {
		call(responseObserver, () -> toProto(this.locks.get(request.getId())));
	}

	@Override
	public void unLock(UnLockRequest request, StreamObserver<UnLockResponse> responseObserver) {
		call(responseObserver, () -> {
			String service = this.locks.release(request.getId());
			return UnLockResponse.newBuilder().setSuccess(true).setMessage("lock on '" + service + "' released").build();
		});
	}

	@Override
	public void listLocks(ListLocksRequest request, StreamObserver<ListLocksResponse> responseObserver) {
		call(responseObserver, () -> {
			int page = (request.getPage() == 0) ? 1 : request.getPage();
			int perPage = (request.getPerPage() == 0) ? ServiceLocks.DEFAULT_PER_PAGE : request.getPerPage();
			ServiceLockPage result = this.locks.list(page, perPage);
			ListLocksResponse.Builder response = ListLocksResponse.newBuilder()
				.setTotal(result.total())
				.setPage(result.page())
				.setPerPage(result.perPage());
			for (ServiceLock lock : result.locks()) {
				response.addLocks(toProto(lock));
			}
			return response.build();
		});
	}

	@Override
	public void extendLock(ExtendLockRequest request, StreamObserver<Lock> responseObserver) {
		call(responseObserver, () -> toProto(this.locks.extend(request.getId(), request.getTtl())));
	}

	/** The time left before the caller's deadline, so that a grant is never made after the caller gave up. */
	private static @Nullable Duration timeLeft() {
		Deadline deadline = Context.current().getDeadline();
		if (deadline == null) {
			return null;
		}
		return Duration.ofMillis(Math.max(0, deadline.timeRemaining(TimeUnit.MILLISECONDS) - 100));
	}

	private static <T> void call(StreamObserver<T> observer, java.util.function.Supplier<T> action) {
		T result;
		try {
			result = action.get();
		}
		catch (LockServiceException ex) {
			observer.onError(toStatus(ex));
			return;
		}
		catch (LockProviderUnavailableException ex) {
			observer.onError(Status.UNAVAILABLE.withDescription("lock backend unavailable: " + ex.getMessage())
				.asRuntimeException());
			return;
		}
		catch (IllegalArgumentException ex) {
			observer.onError(Status.INVALID_ARGUMENT.withDescription(ex.getMessage()).asRuntimeException());
			return;
		}
		catch (StatusRuntimeException ex) {
			observer.onError(ex);
			return;
		}
		observer.onNext(result);
		observer.onCompleted();
	}

	static StatusRuntimeException toStatus(LockServiceException ex) {
		Status.Code code = switch (ex.reason()) {
			case BAD_REQUEST -> Status.Code.INVALID_ARGUMENT;
			case UNAUTHORIZED -> Status.Code.UNAUTHENTICATED;
			case FORBIDDEN -> Status.Code.PERMISSION_DENIED;
			case NOT_FOUND -> Status.Code.NOT_FOUND;
			case CONFLICT -> Status.Code.ALREADY_EXISTS;
			case TOO_LARGE, OVERLOADED -> Status.Code.RESOURCE_EXHAUSTED;
		};
		ServiceLock existing = ex.existingLock();
		if (existing == null) {
			return Status.fromCode(code).withDescription(ex.getMessage()).asRuntimeException();
		}
		com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
			.setCode(code.value())
			.setMessage(ex.getMessage() + ": held by '" + existing.who() + "' since " + existing.createdAt())
			.addDetails(Any.pack(toProto(existing)))
			.build();
		return StatusProto.toStatusRuntimeException(status);
	}

	static Lock toProto(ServiceLock lock) {
		return Lock.newBuilder()
			.setId(lock.id())
			.setService(lock.service())
			.setWho(lock.who())
			.setCreatedAt(timestamp(lock.createdAt()))
			.setExpiresAt(timestamp(lock.expiresAt()))
			.setFencingToken(lock.fencingToken())
			.build();
	}

	private static Timestamp timestamp(Instant exact) {
		Instant instant = exact.truncatedTo(ChronoUnit.MILLIS);
		return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
	}

}
