package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Reads {@code NOTIFY} payloads from a connection that {@code LISTEN}s, for tests that check which releases
 * were notified.
 */
final class Notifications {

	private Notifications() {
	}

	/**
	 * Collects payloads among {@code ofInterest}, in arrival (commit) order, until {@code count} arrived or
	 * 10 seconds passed; payloads of other keys (other tests sharing the database) are skipped.
	 * @param listener a connection that ran {@code LISTEN}
	 * @param ofInterest the payloads to keep
	 * @param count how many to wait for
	 * @return the payloads received
	 * @throws SQLException if reading fails
	 */
	static List<String> collect(Connection listener, Set<String> ofInterest, int count) throws SQLException {
		List<String> received = new ArrayList<>();
		PGConnection pg = listener.unwrap(PGConnection.class);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (received.size() < count && System.nanoTime() < deadline) {
			PGNotification[] batch = pg.getNotifications(1_000);
			if (batch != null) {
				for (PGNotification notification : batch) {
					if (ofInterest.contains(notification.getParameter())) {
						received.add(notification.getParameter());
					}
				}
			}
		}
		return received;
	}

}
