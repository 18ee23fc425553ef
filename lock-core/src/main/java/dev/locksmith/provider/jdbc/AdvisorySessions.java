package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;

/**
 * The sessions of advisory mode's held leases: each lease's pinned connection, the TTL this process enforces
 * on it, and the periodic liveness check that reports a dead session (or a record deleted through another
 * instance) as a lost lease. One lock per lease serialises its end, extension, expiry and check.
 */
final class AdvisorySessions implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(PostgresAdvisoryLockProvider.class);

	private final DataSource dataSource;

	private final AdvisoryStatements statements;

	private final String channel;

	private final Consumer<String> wakeWaiters;

	private final ScheduledExecutorService scheduler;

	private final ConcurrentHashMap<String, HeldLease> leases = new ConcurrentHashMap<>();

	private volatile Consumer<LeaseRef> lossListener = (lease) -> {
	};

	/**
	 * Starts the liveness checks.
	 * @param dataSource the database, for work off the pinned connections
	 * @param statements the SQL
	 * @param channel the {@code NOTIFY} channel
	 * @param wakeWaiters wakes this process's waiters on a key after a lease on it ended
	 * @param livenessCheckInterval how often every pinned session is checked
	 */
	AdvisorySessions(DataSource dataSource, AdvisoryStatements statements, String channel, Consumer<String> wakeWaiters,
			Duration livenessCheckInterval) {
		this.dataSource = dataSource;
		this.statements = statements;
		this.channel = channel;
		this.wakeWaiters = wakeWaiters;
		this.scheduler = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "locksmith-pg-advisory");
			thread.setDaemon(true);
			return thread;
		});
		long interval = livenessCheckInterval.toMillis();
		this.scheduler.scheduleWithFixedDelay(this::checkSessions, interval, interval, TimeUnit.MILLISECONDS);
	}

	void setLossListener(Consumer<LeaseRef> listener) {
		this.lossListener = Objects.requireNonNull(listener, "listener");
	}

	/**
	 * Returns the held lease with this reference, if this process holds it.
	 * @param lease the reference
	 * @return the held lease, or {@code null}
	 */
	@Nullable HeldLease find(LeaseRef lease) {
		HeldLease held = this.leases.get(lease.leaseId());
		return (held != null && held.ref.equals(lease)) ? held : null;
	}

	/**
	 * Returns the leases this process holds on a key.
	 * @param key the key
	 * @return the leases
	 */
	List<HeldLease> onKey(String key) {
		return this.leases.values().stream().filter((held) -> held.ref.key().equals(key)).toList();
	}

	/**
	 * Pins a granted lease's connection until the lease ends, and starts its TTL.
	 * @param ref the lease
	 * @param token its fencing token
	 * @param permits its permit count (1 unless PERMITS)
	 * @param limit its semaphore's limit (1 unless PERMITS)
	 * @param connection the connection holding its advisory locks
	 * @param ttl its TTL
	 */
	void pin(LeaseRef ref, long token, int permits, int limit, Connection connection, Duration ttl) {
		HeldLease held = new HeldLease(ref, token, permits, limit, connection);
		this.leases.put(ref.leaseId(), held);
		scheduleExpiry(held, ttl.toMillis());
	}

	/**
	 * Ends a lease: unlocks its session, deletes its record, notifies waiters and returns the connection.
	 * @param held the lease
	 * @param reportLoss whether to report the end as a loss
	 * @return {@code true} if the session was alive and held the lease until now
	 */
	boolean end(HeldLease held, boolean reportLoss) {
		held.lock.lock();
		try {
			if (held.ended) {
				return false;
			}
			held.ended = true;
			this.leases.remove(held.ref.leaseId(), held);
			cancelExpiry(held);
			try (PreparedStatement statement = held.connection.prepareStatement(this.statements.releaseHeld())) {
				statement.setString(1, held.ref.key());
				statement.setString(2, held.ref.leaseId());
				statement.setString(3, this.channel);
				statement.setString(4, held.ref.key());
				statement.setString(5, held.ref.key());
				statement.executeQuery().close();
				closeQuietly(held.connection);
			}
			catch (SQLException ex) {
				// The session is gone (or broken): its advisory locks are gone with it.
				abort(held.connection);
				deleteRecord(held.ref);
				if (reportLoss) {
					this.lossListener.accept(held.ref);
				}
				return false;
			}
		}
		finally {
			held.lock.unlock();
		}
		this.wakeWaiters.accept(held.ref.key());
		if (reportLoss) {
			this.lossListener.accept(held.ref);
		}
		return true;
	}

	/**
	 * Extends a held lease on its pinned session: its recorded expiry and the TTL this process enforces.
	 * @param held the lease
	 * @param ttl the new TTL
	 * @return {@code true} if the session is alive and the lease was live
	 */
	boolean extend(HeldLease held, Duration ttl) {
		held.lock.lock();
		try {
			if (held.ended) {
				return false;
			}
			try (PreparedStatement statement = held.connection.prepareStatement(this.statements.extend())) {
				statement.setLong(1, ttl.toMillis());
				statement.setString(2, held.ref.key());
				statement.setString(3, held.ref.leaseId());
				statement.setString(4, held.ref.type().name());
				if (statement.executeUpdate() == 0) {
					end(held, false);
					return false;
				}
			}
			catch (SQLException ex) {
				lost(held, false);
				return false;
			}
			cancelExpiry(held);
			scheduleExpiry(held, ttl.toMillis());
			return true;
		}
		finally {
			held.lock.unlock();
		}
	}

	/**
	 * Lowers a held permit lease to {@code permits}: unlocks as many of its semaphore slots on its pinned
	 * session as it gives back (so they can be taken at once) and records the new count, in one statement.
	 * @param held the lease
	 * @param permits the permits it keeps
	 * @param slotBase the key's slot base id
	 * @return {@code true} if the session is alive and the lease was live
	 */
	boolean reducePermits(HeldLease held, int permits, long slotBase) {
		held.lock.lock();
		try {
			if (held.ended) {
				return false;
			}
			if (held.permits <= permits) {
				return true;
			}
			long recorded;
			try (PreparedStatement statement = held.connection.prepareStatement(this.statements.reducePermits())) {
				int i = 1;
				statement.setInt(i++, held.limit - 1);
				statement.setLong(i++, slotBase);
				statement.setLong(i++, slotBase);
				statement.setInt(i++, held.permits - permits);
				statement.setLong(i++, slotBase);
				statement.setInt(i++, permits);
				statement.setString(i++, held.ref.key());
				statement.setString(i++, held.ref.leaseId());
				statement.setString(i++, this.channel);
				statement.setString(i++, held.ref.key());
				statement.setString(i, held.ref.key());
				try (ResultSet rs = statement.executeQuery()) {
					recorded = rs.next() ? rs.getLong(2) : 0;
				}
			}
			catch (SQLException ex) {
				lost(held, false);
				return false;
			}
			held.permits = permits;
			if (recorded == 0) {
				// the record was deleted through another instance: the lease is over
				end(held, false);
				return false;
			}
		}
		finally {
			held.lock.unlock();
		}
		this.wakeWaiters.accept(held.ref.key());
		return true;
	}

	private void scheduleExpiry(HeldLease held, long delayMillis) {
		held.expiry = this.scheduler.schedule(() -> expire(held), delayMillis, TimeUnit.MILLISECONDS);
	}

	/**
	 * Runs when the lease's TTL should have run out: the recorded expiry (database clock, possibly extended
	 * by another instance) decides whether it has; if so the session is unlocked and the loss reported.
	 */
	private void expire(HeldLease held) {
		held.lock.lock();
		try {
			if (held.ended) {
				return;
			}
			long remainingMillis;
			try (PreparedStatement statement = held.connection.prepareStatement(this.statements.remainingMillis())) {
				statement.setString(1, held.ref.key());
				statement.setString(2, held.ref.leaseId());
				try (ResultSet rs = statement.executeQuery()) {
					remainingMillis = rs.next() ? rs.getLong(1) : 0;
				}
			}
			catch (SQLException ex) {
				lost(held, true);
				return;
			}
			if (remainingMillis > 0) {
				scheduleExpiry(held, remainingMillis);
				return;
			}
			logger.debug("Advisory lease {} on '{}' reached its TTL; unlocking", held.ref.leaseId(),
					KeyText.forMessage(held.ref.key()));
			end(held, true);
		}
		finally {
			held.lock.unlock();
		}
	}

	private static void cancelExpiry(HeldLease held) {
		ScheduledFuture<?> expiry = held.expiry;
		if (expiry != null) {
			expiry.cancel(false);
		}
	}

	/**
	 * Periodically checks every pinned session with one query on it: a dead session is reported lost at once;
	 * a lease whose record was deleted (released by id or force-released through another instance) is
	 * unlocked and reported lost.
	 */
	private void checkSessions() {
		for (HeldLease held : this.leases.values()) {
			if (!held.lock.tryLock()) {
				continue;
			}
			if (held.ended) {
				held.lock.unlock();
				continue;
			}
			try (PreparedStatement statement = held.connection.prepareStatement(this.statements.recordExists())) {
				statement.setQueryTimeout(5);
				statement.setString(1, held.ref.key());
				statement.setString(2, held.ref.leaseId());
				try (ResultSet rs = statement.executeQuery()) {
					if (!(rs.next() && rs.getBoolean(1))) {
						end(held, true);
					}
				}
			}
			catch (SQLException | RuntimeException ex) {
				lost(held, true);
			}
			finally {
				held.lock.unlock();
			}
		}
	}

	private void lost(HeldLease held, boolean report) {
		if (held.ended) {
			return;
		}
		held.ended = true;
		this.leases.remove(held.ref.leaseId(), held);
		cancelExpiry(held);
		abort(held.connection);
		logger.warn("Session holding advisory lease {} on '{}' died; lease lost", held.ref.leaseId(),
				KeyText.forMessage(held.ref.key()));
		deleteRecord(held.ref);
		this.wakeWaiters.accept(held.ref.key());
		if (report) {
			this.lossListener.accept(held.ref);
		}
	}

	private void deleteRecord(LeaseRef lease) {
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement(this.statements.deleteLostRecord())) {
			statement.setString(1, lease.key());
			statement.setString(2, lease.leaseId());
			statement.setString(3, this.channel);
			statement.setString(4, lease.key());
			statement.executeQuery().close();
		}
		catch (SQLException ex) {
			logger.debug("Could not delete the record of lost lease {} on '{}'", lease.leaseId(),
					KeyText.forMessage(lease.key()), ex);
		}
	}

	/**
	 * Stops the checks and closes the pinned connections of leases still held, which frees their advisory
	 * locks (they cannot outlive their sessions).
	 */
	@Override
	public void close() {
		this.scheduler.shutdownNow();
		for (HeldLease held : this.leases.values()) {
			end(held, false);
		}
	}

	/**
	 * Ends the session for sure (so no advisory lock can go back to the pool with it), then closes the
	 * connection so that a pool accounts for it (and discards it).
	 * @param connection the connection
	 */
	static void abort(Connection connection) {
		try {
			connection.abort(Runnable::run);
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not abort a connection", ex);
		}
		closeQuietly(connection);
	}

	/**
	 * Closes a connection, ignoring errors.
	 * @param connection the connection
	 */
	static void closeQuietly(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not close a connection", ex);
		}
	}

	/** One granted lease and its pinned connection. */
	static final class HeldLease {

		private final LeaseRef ref;

		private final long token;

		/** Guarded by {@link #lock}; only lowered, by {@link AdvisorySessions#reducePermits}. */
		private volatile int permits;

		private final int limit;

		private final Connection connection;

		private final ReentrantLock lock = new ReentrantLock();

		private boolean ended;

		private volatile @Nullable ScheduledFuture<?> expiry;

		HeldLease(LeaseRef ref, long token, int permits, int limit, Connection connection) {
			this.ref = ref;
			this.token = token;
			this.permits = permits;
			this.limit = limit;
			this.connection = connection;
		}

		/** Returns the lease's fencing token. */
		long token() {
			return this.token;
		}

		/** Returns the lease's permit count (1 unless PERMITS). */
		int permits() {
			return this.permits;
		}

	}

}
