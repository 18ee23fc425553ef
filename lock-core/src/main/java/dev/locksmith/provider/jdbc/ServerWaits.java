package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * Write acquisitions of the advisory provider that wait inside PostgreSQL: a waiter's pause is one
 * statement that blocks in the server's lock queue ({@code pg_advisory_lock}, bounded by
 * {@code lock_timeout}) and, once granted, draws the token and records the lease; the lease is then pinned
 * like any other, and the acquisition's next attempt returns it without another round trip. The lock
 * manager queues waiters in order and, on a release, grants the lock to exactly the next one; a waiter whose
 * session dies leaves the queue with it.
 */
final class ServerWaits {

	/**
	 * The retry hint a waiting writer's denial carries, which bounds one wait in the server (two seconds):
	 * a thread blocked in JDBC does not see an interrupt until its statement returns.
	 */
	static final Duration HINT = Duration.ofSeconds(2);

	private static final Logger logger = LoggerFactory.getLogger(ServerWaits.class);

	private static final String LOCK_NOT_AVAILABLE = "55P03";

	private final ConcurrentHashMap<String, Waiter> byLeaseId = new ConcurrentHashMap<>();

	private final DataSource dataSource;

	private final AdvisoryStatements statements;

	private final AdvisoryLockIds ids;

	private final AdvisorySessions sessions;

	ServerWaits(DataSource dataSource, AdvisoryStatements statements, AdvisoryLockIds ids, AdvisorySessions sessions) {
		this.dataSource = dataSource;
		this.statements = statements;
		this.ids = ids;
		this.sessions = sessions;
	}

	/**
	 * Registers a waiting write acquisition.
	 * @param request its request
	 * @return the subscription whose {@code await} waits in the server
	 */
	ReleaseSubscription subscribe(LeaseRequest request) {
		Waiter waiter = new Waiter(request);
		this.byLeaseId.put(request.leaseId(), waiter);
		return waiter;
	}

	/**
	 * Returns whether the request belongs to an open waiter.
	 * @param request an attempt
	 * @return {@code true} if its acquisition waits in the server
	 */
	boolean waits(LeaseRequest request) {
		return find(request) != null;
	}

	/**
	 * Hands the acquisition the lease its wait obtained, once.
	 * @param request the attempt after the wait
	 * @return the grant, or {@code null} if the wait obtained nothing (or the lease is gone already)
	 */
	@Nullable Grant takeGrant(LeaseRequest request) {
		Waiter waiter = find(request);
		if (waiter == null || waiter.token <= 0 || waiter.taken || this.sessions.find(request.ref()) == null) {
			return null;
		}
		waiter.taken = true;
		return Grant.granted(waiter.token);
	}

	private @Nullable Waiter find(LeaseRequest request) {
		Waiter waiter = this.byLeaseId.get(request.leaseId());
		return (waiter != null && waiter.request.ref().equals(request.ref())) ? waiter : null;
	}

	/** One waiting acquisition; used by its acquiring thread only. */
	private final class Waiter implements ReleaseSubscription {

		private final LeaseRequest request;

		private long token;

		private boolean taken;

		Waiter(LeaseRequest request) {
			this.request = request;
		}

		/**
		 * Waits in the server up to the timeout. Returns {@code true} when the lease was granted, or when the
		 * wait failed for another reason than the timeout (the next attempt then reports it); {@code false} on
		 * timeout.
		 */
		@Override
		public boolean await(long timeoutNanos) throws InterruptedException {
			if (this.token > 0) {
				return true;
			}
			long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
			Connection connection;
			try {
				connection = ServerWaits.this.dataSource.getConnection();
			}
			catch (SQLException ex) {
				return true;
			}
			boolean kept = false;
			try {
				if (!connection.getAutoCommit()) {
					connection.setAutoCommit(true);
				}
				long granted = waitAndRecord(connection, millis);
				ServerWaits.this.sessions.pin(this.request.ref(), granted, 1, 1, connection, this.request.ttl());
				kept = true;
				this.token = granted;
			}
			catch (SQLException ex) {
				if (LOCK_NOT_AVAILABLE.equals(ex.getSQLState()) && unlockAll(connection)) {
					return interruptedOr(false);
				}
				// the session may hold the lock without a record: end the session, which ends its locks
				AdvisorySessions.abort(connection);
				kept = true;
				return interruptedOr(true);
			}
			finally {
				if (!kept) {
					AdvisorySessions.closeQuietly(connection);
				}
			}
			return interruptedOr(true);
		}

		private long waitAndRecord(Connection connection, long timeoutMillis) throws SQLException {
			LeaseRequest r = this.request;
			try (PreparedStatement statement = connection.prepareStatement(ServerWaits.this.statements.writeGrantWaiting())) {
				statement.setString(1, timeoutMillis + "ms");
				statement.setLong(2, ServerWaits.this.ids.id(r.key(), AdvisoryLockIds.MAIN));
				statement.setString(3, r.key());
				statement.setString(4, r.key());
				statement.setString(5, r.leaseId());
				statement.setString(6, r.type().name());
				statement.setString(7, r.owner());
				statement.setString(8, MetadataCodec.encode(r.metadata()));
				statement.setLong(9, r.ttl().toMillis());
				try (ResultSet result = statement.executeQuery()) {
					result.next();
					return result.getLong(1);
				}
			}
		}

		/** Gives back any advisory lock of the session (a row-lock timeout may come after the grant). */
		private boolean unlockAll(Connection connection) {
			try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock_all()")) {
				statement.execute();
				return true;
			}
			catch (SQLException ex) {
				return false;
			}
		}

		private boolean interruptedOr(boolean result) throws InterruptedException {
			if (Thread.interrupted()) {
				throw new InterruptedException("interrupted while waiting in PostgreSQL's lock queue");
			}
			return result;
		}

		@Override
		public void close() {
			if (!ServerWaits.this.byLeaseId.remove(this.request.leaseId(), this)) {
				return;
			}
			if (this.token > 0 && !this.taken) {
				// granted while the acquisition gave up (timed out, interrupted): give the lease back
				try {
					var held = ServerWaits.this.sessions.find(this.request.ref());
					if (held != null) {
						ServerWaits.this.sessions.end(held, false);
					}
				}
				catch (RuntimeException ex) {
					logger.debug("Could not give back lease {} on '{}': {}", this.request.leaseId(),
							this.request.key(), ex.toString());
				}
			}
		}

	}

}
