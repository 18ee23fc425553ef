package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
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
		try (EtcdLockProvider provider = EtcdLockProvider.builder(this.delayed)
			.requestTimeout(Duration.ofSeconds(1))
			.build()) {
			String key = "late-" + UUID.randomUUID();
			LeaseRequest request = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "a",
					Duration.ofSeconds(5), 1, 1, Map.of());
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));
			ByteSequence leaseKey = new EtcdKeys(EtcdLockProvider.DEFAULT_NAMESPACE).leaseKey(key, LeaseType.WRITE,
					request.leaseId());

			this.hold.armForNextTxn();
			assertThatExceptionOfType(LockProviderUnavailableException.class).as("the first renewal gets no answer")
				.isThrownBy(() -> provider.renew(renewal));
			assertThat(this.hold.isHolding()).isTrue();

			assertThat(provider.renew(renewal)).as("the next renewal extends the lease").contains(request.ref());
			long renewedOn = current(leaseKey).getLease();

			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).as("the held renewal reached etcd").isTrue();
			KeyValue after = current(leaseKey);
			assertThat(after).as("the lease is still there").isNotNull();
			assertThat(after.getLease()).as("still on the etcd lease of the renewal that was reported done")
				.isEqualTo(renewedOn);
			assertThat(provider.renew(renewal)).as("and renewals go on").contains(request.ref());
		}
	}

	@Test
	void aRenewalWhoseAnswerWasLostButWhichWasAppliedIsNotTakenForALoss() throws Exception {
		try (EtcdLockProvider provider = EtcdLockProvider.builder(this.delayed)
			.requestTimeout(Duration.ofSeconds(1))
			.build()) {
			String key = "applied-" + UUID.randomUUID();
			LeaseRequest request = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "a",
					Duration.ofSeconds(5), 1, 1, Map.of());
			assertThat(provider.acquire(request).isGranted()).isTrue();
			List<Renewal> renewal = List.of(new Renewal(request.ref(), Duration.ofSeconds(5)));
			ByteSequence leaseKey = new EtcdKeys(EtcdLockProvider.DEFAULT_NAMESPACE).leaseKey(key, LeaseType.WRITE,
					request.leaseId());
			long before = current(leaseKey).getModRevision();

			this.hold.armForNextTxn();
			assertThatExceptionOfType(LockProviderUnavailableException.class).isThrownBy(() -> provider.renew(renewal));
			assertThat(this.hold.sendHeldRequest(10, TimeUnit.SECONDS)).isTrue();
			assertThat(current(leaseKey).getModRevision()).as("the renewal was applied, its answer lost")
				.isGreaterThan(before);

			assertThat(provider.renew(renewal)).as("the next renewal finds the lease where the lost one put it")
				.contains(request.ref());
			assertThat(provider.renew(renewal)).contains(request.ref());
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	private @Nullable KeyValue current(ByteSequence leaseKey) throws Exception {
		List<KeyValue> kvs = this.raw.getKVClient().get(leaseKey).get(5, TimeUnit.SECONDS).getKvs();
		return kvs.isEmpty() ? null : kvs.get(0);
	}

	/**
	 * Holds the next {@code KV/Txn} call once armed: the client sees no answer (its cancel is ignored, as for
	 * a request already on the wire); {@link #sendHeldRequest} later sends the same request to etcd.
	 */
	private static final class HoldOneTxn implements ClientInterceptor {

		private volatile boolean armed;

		private volatile @Nullable Runnable held;

		private final CountDownLatch answered = new CountDownLatch(1);

		void armForNextTxn() {
			this.armed = true;
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
			if (!this.armed || !method.getFullMethodName().endsWith("KV/Txn")) {
				return next.newCall(method, options);
			}
			this.armed = false;
			return new ClientCall<>() {

				private @Nullable Metadata headers;

				private @Nullable Q message;

				@Override
				public void start(Listener<R> listener, Metadata headers) {
					this.headers = headers;
				}

				@Override
				public void request(int numMessages) {
				}

				@Override
				public void cancel(@Nullable String reason, @Nullable Throwable cause) {
					// already on the wire: the client giving up does not stop it
				}

				@Override
				public void halfClose() {
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

				@Override
				public void sendMessage(Q message) {
					this.message = message;
				}

			};
		}

	}

}
