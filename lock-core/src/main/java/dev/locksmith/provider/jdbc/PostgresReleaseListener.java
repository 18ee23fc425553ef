package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.provider.support.ReleaseSignals;

/**
 * One PostgreSQL connection per provider that {@code LISTEN}s on the provider's channel and turns each
 * notification (payload: the released key) into a {@link ReleaseSignals#signal}. Started lazily by the
 * first waiter; reconnects with a backoff and then wakes every waiter, since notifications sent while it
 * was away are lost.
 */
final class PostgresReleaseListener implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(PostgresReleaseListener.class);

	private static final int POLL_MILLIS = 250;

	private static final long VALIDATE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(15);

	private final DataSource dataSource;

	private final String channel;

	private final ReleaseSignals signals;

	private final ReentrantLock startLock = new ReentrantLock();

	private final CountDownLatch firstListen = new CountDownLatch(1);

	private volatile boolean running;

	private volatile @Nullable Thread thread;

	private volatile @Nullable Connection connection;

	/**
	 * Creates a listener; nothing happens before {@link #ensureStarted()}.
	 * @param dataSource where to borrow the listening connection
	 * @param channel the notification channel
	 * @param signals where to deliver releases
	 */
	PostgresReleaseListener(DataSource dataSource, String channel, ReleaseSignals signals) {
		this.dataSource = dataSource;
		this.channel = channel;
		this.signals = signals;
	}

	/**
	 * Starts the listening thread if it is not running and waits (briefly) until {@code LISTEN} is active,
	 * so that a subscription taken after this call sees every later release.
	 */
	void ensureStarted() {
		if (this.thread != null) {
			return;
		}
		this.startLock.lock();
		try {
			if (this.thread == null) {
				this.running = true;
				Thread listener = new Thread(this::run, "locksmith-pg-listener-" + this.channel);
				listener.setDaemon(true);
				this.thread = listener;
				listener.start();
			}
			// Only the first caller waits (a database that is down must not slow every waiter); until LISTEN
			// is up, waiters fall back to the holder's remaining TTL and the engine's backoff.
			awaitFirstListen();
		}
		finally {
			this.startLock.unlock();
		}
	}

	private void awaitFirstListen() {
		if (this.firstListen.getCount() > 0) {
			try {
				this.firstListen.await(2, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void run() {
		long backoffMillis = 100;
		while (this.running) {
			try (Connection listening = this.dataSource.getConnection()) {
				listening.setAutoCommit(true);
				try (Statement statement = listening.createStatement()) {
					statement.execute("LISTEN \"" + this.channel + "\"");
				}
				this.connection = listening;
				this.firstListen.countDown();
				this.signals.signalAll();
				backoffMillis = 100;
				try {
					listen(listening.unwrap(PGConnection.class), listening);
				}
				finally {
					unlisten(listening);
				}
			}
			catch (SQLException | RuntimeException ex) {
				if (!this.running) {
					break;
				}
				logger.warn("Locksmith LISTEN connection on channel '{}' failed; reconnecting in {} ms", this.channel,
						backoffMillis, ex);
				this.signals.signalAll();
				try {
					Thread.sleep(backoffMillis);
				}
				catch (InterruptedException interrupted) {
					break;
				}
				backoffMillis = Math.min(backoffMillis * 2, 5000);
			}
			finally {
				this.connection = null;
			}
		}
	}

	private void listen(PGConnection pg, Connection listening) throws SQLException {
		long lastActivity = System.nanoTime();
		while (this.running) {
			PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
			if (notifications != null && notifications.length > 0) {
				for (PGNotification notification : notifications) {
					this.signals.signal(notification.getParameter());
				}
				lastActivity = System.nanoTime();
			}
			else if (System.nanoTime() - lastActivity > VALIDATE_EVERY_NANOS) {
				if (!listening.isValid(5)) {
					throw new SQLException("LISTEN connection is no longer valid");
				}
				lastActivity = System.nanoTime();
			}
		}
	}

	/**
	 * Stops listening before the connection goes back to a pool: a pooled connection that still listened would
	 * buffer every later notification unread (and, once its socket buffer filled, hold back the server's
	 * notification queue for the whole database).
	 */
	private void unlisten(Connection listening) {
		try (Statement statement = listening.createStatement()) {
			statement.execute("UNLISTEN *");
		}
		catch (SQLException ex) {
			logger.debug("Locksmith could not UNLISTEN on channel '{}' (the connection is probably gone)", this.channel, ex);
		}
	}

	/**
	 * Returns whether the listening connection is up.
	 * @return {@code true} while {@code LISTEN} is active
	 */
	boolean isListening() {
		return this.connection != null;
	}

	/**
	 * Stops the thread and returns the connection to the pool.
	 */
	@Override
	public void close() {
		this.running = false;
		Thread listener = this.thread;
		if (listener != null) {
			listener.interrupt();
			try {
				listener.join(POLL_MILLIS + 2000L);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}
