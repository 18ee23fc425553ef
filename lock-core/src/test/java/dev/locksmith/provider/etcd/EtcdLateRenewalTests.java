package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.options.LeaseOption;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A renewal whose request is held up on its way (the client gave up on it) and reaches etcd only after a
 * later renewal succeeded must not undo that renewal: it would move the key back to the older tick lease,
 * granted before the later renewal, which etcd expires before the time the holder was promised. The held
 * request is the provider's own, captured on the wire by a gRPC interceptor and sent unchanged later.
 */
class EtcdLateRenewalTests {

	private EtcdTestServer etcd;

	private final HoldOneTxn hold = new HoldOneTxn();

	private Client delayed;

	private Client raw;

	@BeforeEach
	void start() {
		EtcdTestServer.assumeInstalled();
		this.etcd = new EtcdTestServer();
		this.delayed = Client.builder()
			.endpoints(this.etcd.endpoint())
			.connectTimeout(Duration.ofSeconds(1))
			.interceptor(this.hold)
			.build();
		this.raw = this.etcd.client();
	}

	@AfterEach
	void stop() {
		if (this.etcd != null) {
			this.delayed.close();
			this.raw.close();
			this.etcd.close();
		}
	}

	@Test
	void aRenewalAppliedAfterALaterOneDoesNotMoveTheKeyBack() throws Exception {
		try (EtcdLockProvider provider = delayedProvider()) {
			LeaseRequest request = write("late-" + UUID.randomUUID());
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));

			this.hold.armForNextTxn();
			assertThatExceptionOfType(LockProviderUnavailableException.class).as("the first renewal gets no answer")
				.isThrownBy(() -> provider.renew(renewal));
			assertThat(this.hold.isHolding()).isTrue();

			assertThat(provider.renew(renewal)).as("the next renewal extends the lease").contains(request.ref());
			long renewedOn = current(request.ref()).getLease();

			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).as("the held renewal reached etcd").isTrue();
			KeyValue after = current(request.ref());
			assertThat(after).as("the lease is still there").isNotNull();
			assertThat(after.getLease()).as("still on the etcd lease of the renewal that was reported done")
				.isEqualTo(renewedOn);
			assertThat(provider.renew(renewal)).as("and renewals go on").contains(request.ref());
		}
	}

	@Test
	void aRenewalWhoseAnswerWasLostButWhichWasAppliedIsNotTakenForALoss() throws Exception {
		try (EtcdLockProvider provider = delayedProvider()) {
			LeaseRequest request = write("applied-" + UUID.randomUUID());
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));
			long before = current(request.ref()).getModRevision();

			this.hold.armForNextTxn();
			assertThatExceptionOfType(LockProviderUnavailableException.class).isThrownBy(() -> provider.renew(renewal));
			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).isTrue();
			assertThat(current(request.ref()).getModRevision()).as("the renewal was applied, its answer lost")
				.isGreaterThan(before);

			assertThat(provider.renew(renewal)).as("the next renewal finds the lease where the lost one put it")
				.contains(request.ref());
			assertThat(provider.renew(renewal)).contains(request.ref());
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	@Test
	void anExtendWhoseAnswerWasLostButWhichWasAppliedIsNotTakenForALoss() throws Exception {
		try (EtcdLockProvider provider = delayedProvider()) {
			LeaseRequest request = write("extended-" + UUID.randomUUID());
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));
			long before = current(request.ref()).getModRevision();

			// the extend's read and lease grant are answered; its transaction is applied but the answer lost
			this.hold.armForNextTxn();
			assertThatExceptionOfType(LockProviderUnavailableException.class)
				.isThrownBy(() -> provider.extend(request.ref(), Duration.ofSeconds(8)));
			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).isTrue();
			assertThat(current(request.ref()).getModRevision()).as("the extend was applied, its answer lost")
				.isGreaterThan(before);

			assertThat(provider.renew(renewal)).as("the next renewal finds the lease where the lost extend put it")
				.contains(request.ref());
			assertThat(provider.renew(renewal)).contains(request.ref());
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	@Test
	void aTickLeaseIsNotRevokedWhileLeasesOfABatchWhoseAnswerWasLostMayBeOnIt() throws Exception {
		try (EtcdLockProvider provider = delayedProvider()) {
			// 101 leases of one TTL: one renewal is two transactions on one tick lease, 100 leases and 1
			List<Renewal> renewals = new ArrayList<>();
			for (int i = 0; i < 101; i++) {
				LeaseRequest request = new LeaseRequest("tick-" + i + "-" + UUID.randomUUID(), LeaseType.WRITE,
						UUID.randomUUID().toString(), "a", Duration.ofSeconds(30), 1, 1, Map.of());
				assertThat(provider.acquire(request).isGranted()).isTrue();
				renewals.add(new Renewal(request.ref(), Duration.ofSeconds(30)));
			}
			Renewal last = renewals.get(100);

			// the one-lease transaction is applied, its answer lost; the other is answered
			this.hold.armForNextTxn((request) -> ((TxnRequest) request).getSuccessCount() == 1);
			assertThatExceptionOfType(LockProviderUnavailableException.class).isThrownBy(() -> provider.renew(renewals));
			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).isTrue();
			long tickLease = current(last.lease()).getLease();

			// the next renewal moves the 100 off that tick lease: the lease in doubt is still on it
			assertThat(provider.renew(renewals)).as("every lease is renewed").hasSize(101);
			for (Renewal renewal : renewals) {
				assertThat(current(renewal.lease())).as("%s is still there", renewal.lease().key()).isNotNull();
			}
			assertThat(this.raw.getLeaseClient().timeToLive(tickLease, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS)
				.getTTL()).as("nothing is lost with the earlier tick lease").isNotZero();
		}
	}

	@Test
	void aPartialReleaseWhoseAnswerWasLostButWhichWasAppliedIsNotTakenForALoss() throws Exception {
		try (EtcdLockProvider provider = delayedProvider()) {
			String key = "reduced-" + UUID.randomUUID();
			LeaseRequest request = threeOfFourPermits(key);
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));

			this.hold.armForNextTxn();
			assertThatExceptionOfType(LockProviderUnavailableException.class).as("the partial release gets no answer")
				.isThrownBy(() -> provider.reducePermits(request.ref(), 1));
			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).isTrue();
			assertThat(provider.inspect(key).leases()).extracting(dev.locksmith.LeaseInfo::permits)
				.as("applied, its answer lost")
				.containsExactly(1);

			assertThat(provider.reducePermits(request.ref(), 1)).as("the re-sent partial release finds it live").isTrue();
			assertThat(provider.renew(renewal)).as("the next renewal finds the lease as the partial release left it")
				.contains(request.ref());
			assertThat(provider.renew(renewal)).contains(request.ref());
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	@Test
	void aPartialReleaseBetweenARenewalAppliedAndItsLateAnswerIsNotUndoneByThatAnswer() throws Exception {
		DelayOneAnswer delay = new DelayOneAnswer();
		try (Client client = Client.builder()
			.endpoints(this.etcd.endpoint())
			.connectTimeout(Duration.ofSeconds(1))
			.interceptor(delay)
			.build();
				EtcdLockProvider provider = EtcdLockProvider.builder(client).requestTimeout(Duration.ofSeconds(30)).build()) {
			String key = "renewed-then-reduced-" + UUID.randomUUID();
			LeaseRequest request = threeOfFourPermits(key);
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));

			// a renewal (given up by the engine's renewal timeout) is applied, its answer still on its way back
			delay.armForNextTxn();
			java.util.concurrent.CompletableFuture<java.util.Set<dev.locksmith.spi.LeaseRef>> late = java.util.concurrent.CompletableFuture
				.supplyAsync(() -> provider.renew(renewal));
			assertThat(delay.applied.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(provider.reducePermits(request.ref(), 1)).isTrue();
			delay.deliver();
			assertThat(late.get(10, TimeUnit.SECONDS)).contains(request.ref());

			assertThat(provider.inspect(key).leases()).extracting(dev.locksmith.LeaseInfo::permits).containsExactly(1);
			assertThat(provider.renew(renewal)).as("the late answer did not make the provider forget the partial release")
				.contains(request.ref());
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	private EtcdLockProvider delayedProvider() {
		return EtcdLockProvider.builder(this.delayed).requestTimeout(Duration.ofSeconds(1)).build();
	}

	private static LeaseRequest write(String key) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "a", Duration.ofSeconds(5), 1, 1,
				Map.of());
	}

	private static LeaseRequest threeOfFourPermits(String key) {
		return new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "a", Duration.ofSeconds(5), 3, 4,
				Map.of());
	}

	/** The lease's key-value in etcd, or {@code null} if it is gone. */
	private @Nullable KeyValue current(LeaseRef lease) throws Exception {
		ByteSequence leaseKey = new EtcdKeys(EtcdLockProvider.DEFAULT_NAMESPACE).leaseKey(lease.key(), lease.type(),
				lease.leaseId());
		List<KeyValue> kvs = this.raw.getKVClient().get(leaseKey).get(5, TimeUnit.SECONDS).getKvs();
		return kvs.isEmpty() ? null : kvs.get(0);
	}

	/**
	 * Holds the next {@code KV/Txn} call once armed (optionally the next one whose request matches): the
	 * client sees no answer (its cancel is ignored, as for a request already on the wire);
	 * {@link #sendHeldRequest} later sends the same request to etcd. Other calls pass through.
	 */
	private static final class HoldOneTxn implements ClientInterceptor {

		private final AtomicReference<@Nullable Predicate<Object>> armed = new AtomicReference<>();

		private volatile @Nullable Runnable held;

		private final CountDownLatch answered = new CountDownLatch(1);

		void armForNextTxn() {
			armForNextTxn((request) -> true);
		}

		void armForNextTxn(Predicate<Object> which) {
			this.armed.set(which);
		}

		boolean isHolding() {
			return this.held != null;
		}

		boolean sendHeldRequest(long timeout, TimeUnit unit) throws InterruptedException {
			Runnable send = this.held;
			assertThat(send).isNotNull();
			send.run();
			return this.answered.await(timeout, unit);
		}

		@Override
		public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
			if (this.armed.get() == null || !method.getFullMethodName().endsWith("KV/Txn")) {
				return next.newCall(method, options);
			}
			return new ClientCall<>() {

				private @Nullable Listener<R> listener;

				private @Nullable Metadata headers;

				private int requested;

				private @Nullable ClientCall<Q, R> passed;

				private @Nullable Q message;

				@Override
				public void start(Listener<R> listener, Metadata headers) {
					this.listener = listener;
					this.headers = headers;
				}

				@Override
				public void request(int numMessages) {
					if (this.passed != null) {
						this.passed.request(numMessages);
					}
					else {
						this.requested += numMessages;
					}
				}

				@Override
				public void cancel(@Nullable String reason, @Nullable Throwable cause) {
					if (this.passed != null) {
						this.passed.cancel(reason, cause);
					}
					// a held request is already on the wire: the client giving up does not stop it
				}

				@Override
				public void sendMessage(Q message) {
					Predicate<Object> which = HoldOneTxn.this.armed.get();
					if (which != null && which.test(message) && HoldOneTxn.this.armed.compareAndSet(which, null)) {
						this.message = message;
						return;
					}
					ClientCall<Q, R> call = next.newCall(method, options);
					this.passed = call;
					call.start(this.listener, (this.headers != null) ? this.headers : new Metadata());
					if (this.requested > 0) {
						call.request(this.requested);
					}
					call.sendMessage(message);
				}

				@Override
				public void halfClose() {
					if (this.passed != null) {
						this.passed.halfClose();
						return;
					}
					Q request = this.message;
					Metadata sentHeaders = this.headers;
					HoldOneTxn.this.held = () -> {
						ClientCall<Q, R> late = next.newCall(method, CallOptions.DEFAULT);
						late.start(new Listener<>() {
							@Override
							public void onClose(Status status, Metadata trailers) {
								HoldOneTxn.this.answered.countDown();
							}
						}, (sentHeaders != null) ? sentHeaders : new Metadata());
						late.request(1);
						late.sendMessage(request);
						late.halfClose();
					};
				}

			};
		}

	}

	/** Holds back the answer of the next {@code KV/Txn} call once armed, until {@link #deliver}. */
	private static final class DelayOneAnswer implements ClientInterceptor {

		private volatile boolean armed;

		final CountDownLatch applied = new CountDownLatch(1);

		private final List<Runnable> answer = new java.util.concurrent.CopyOnWriteArrayList<>();

		void armForNextTxn() {
			this.armed = true;
		}

		void deliver() {
			this.answer.forEach(Runnable::run);
		}

		@Override
		public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
			if (!this.armed || !method.getFullMethodName().endsWith("KV/Txn")) {
				return next.newCall(method, options);
			}
			this.armed = false;
			return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {

				@Override
				public void start(Listener<R> listener, Metadata headers) {
					super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {

						@Override
						public void onHeaders(Metadata received) {
							DelayOneAnswer.this.answer.add(() -> super.onHeaders(received));
						}

						@Override
						public void onMessage(R message) {
							DelayOneAnswer.this.answer.add(() -> super.onMessage(message));
						}

						@Override
						public void onClose(Status status, Metadata trailers) {
							DelayOneAnswer.this.answer.add(() -> super.onClose(status, trailers));
							DelayOneAnswer.this.applied.countDown();
						}

						@Override
						public void onReady() {
						}

					}, headers);
				}

			};
		}

	}

}
