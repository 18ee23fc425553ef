package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * The waiting write acquisitions of one provider, by lease id: which attempts are queued on the server,
 * which waiter a hand-off message wakes, and taking a waiter that gives up out of the server's queue.
 * Each waiter also holds an ordinary exclusive subscription of the provider (on a Redis Cluster with
 * sharded releases, one on the key's shard channel), so a plain release message or a re-subscription
 * after a reconnect still wakes it, and a hand-off published on that channel reaches this process.
 */
final class QueuedWaiters {

	private static final Logger logger = LoggerFactory.getLogger(QueuedWaiters.class);

	private final ConcurrentHashMap<String, Waiter> byLeaseId = new ConcurrentHashMap<>();

	/** The provider's plain subscription of a key: classic channel, or the key's shard channel. */
	private final BiFunction<String, LeaseType, ReleaseSubscription> plainSubscribe;

	/** Takes a lease id out of the queue (and releases a hand-off it did not claim): the release script. */
	private final Consumer<LeaseRef> leave;

	QueuedWaiters(BiFunction<String, LeaseType, ReleaseSubscription> plainSubscribe, Consumer<LeaseRef> leave) {
		this.plainSubscribe = plainSubscribe;
		this.leave = leave;
	}

	/**
	 * Subscribes a waiting acquisition. Write waiters are registered by lease id; others get a plain
	 * subscription.
	 * @param request the acquisition's request
	 * @return the subscription
	 */
	ReleaseSubscription subscribe(LeaseRequest request) {
		ReleaseSubscription plain = this.plainSubscribe.apply(request.key(), request.type());
		if (request.type() != LeaseType.WRITE) {
			return plain;
		}
		Waiter waiter = new Waiter(request.ref(), plain);
		this.byLeaseId.put(request.leaseId(), waiter);
		return waiter;
	}

	/**
	 * Returns whether an attempt for this request, about to be sent, waits (so the server queues it when
	 * denied), and notes that it was sent: only a waiter that may be in the server's queue leaves it on close.
	 * @param request the attempt, already checked for bad input
	 * @return {@code true} for the write request of an open waiter
	 */
	boolean waits(LeaseRequest request) {
		Waiter waiter = this.byLeaseId.get(request.leaseId());
		if (waiter == null || !waiter.ref.equals(request.ref())) {
			return false;
		}
		waiter.sent = true;
		return true;
	}

	/**
	 * Records that the waiter's attempt was granted, so closing it does not leave the queue.
	 * @param request the granted attempt
	 */
	void granted(LeaseRequest request) {
		Waiter waiter = this.byLeaseId.get(request.leaseId());
		if (waiter != null && waiter.ref.equals(request.ref())) {
			waiter.granted = true;
		}
	}

	/**
	 * Handles a message on the release channel: a hand-off wakes its waiter, if it is here, and returns
	 * {@code null}; any other message is a released key, returned for the plain signals.
	 * @param body the message
	 * @return the released key, or {@code null} for a hand-off
	 */
	@Nullable String onMessage(byte[] body) {
		if (body.length == 0 || body[0] != LeaseScripts.HAND_OFF_MARK) {
			return new String(body, StandardCharsets.UTF_8);
		}
		// \u0001<byte length of the lease id>:<lease id><key>, lengths in UTF-8 bytes as Lua counts them
		try {
			int colon = 1;
			int length = 0;
			while (body[colon] != ':') {
				length = Math.addExact(Math.multiplyExact(length, 10), Character.digit(body[colon], 10));
				colon++;
			}
			String leaseId = new String(body, colon + 1, length, StandardCharsets.UTF_8);
			String key = new String(body, colon + 1 + length, body.length - colon - 1 - length, StandardCharsets.UTF_8);
			Waiter waiter = this.byLeaseId.get(leaseId);
			if (waiter != null && waiter.ref.key().equals(key)) {
				waiter.plain.wakeUpUnused();
			}
		}
		catch (RuntimeException ex) {
			logger.debug("Ignoring a malformed hand-off message on the Locksmith release channel: {}", ex.toString());
		}
		return null;
	}

	/** A waiting write acquisition. */
	private final class Waiter implements ReleaseSubscription {

		private final LeaseRef ref;

		private final ReleaseSubscription plain;

		/** Written and read by the acquiring thread only (the engine attempts and closes on one thread). */
		private boolean sent;

		/** Written and read by the acquiring thread only. */
		private boolean granted;

		Waiter(LeaseRef ref, ReleaseSubscription plain) {
			this.ref = ref;
			this.plain = plain;
		}

		@Override
		public boolean await(long timeoutNanos) throws InterruptedException {
			return this.plain.await(timeoutNanos);
		}

		@Override
		public void wakeUpUnused() {
			this.plain.wakeUpUnused();
		}

		@Override
		public void close() {
			if (!QueuedWaiters.this.byLeaseId.remove(this.ref.leaseId(), this)) {
				return;
			}
			this.plain.close();
			if (this.sent && !this.granted) {
				try {
					QueuedWaiters.this.leave.accept(this.ref);
				}
				catch (RuntimeException ex) {
					// the entry lapses by itself (queue entry deadline, claim time)
					logger.debug("Could not take lease {} out of the queue of '{}': {}", this.ref.leaseId(),
							this.ref.key(), ex.toString());
				}
			}
		}

	}

}
