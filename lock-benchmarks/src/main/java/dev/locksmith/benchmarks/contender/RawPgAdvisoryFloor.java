package dev.locksmith.benchmarks.contender;

import dev.locksmith.benchmarks.ContenderNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL floor: session advisory locks over plain JDBC. A connection is taken from the pool,
 * {@code pg_try_advisory_lock} (or the blocking {@code pg_advisory_lock}, bounded by the pool's
 * {@code lock_timeout}) is called on it, and {@code pg_advisory_unlock} on the same connection releases
 * it before the connection goes back. One round trip each way; no lease id, no fencing, no renewal.
 */
public final class RawPgAdvisoryFloor implements Contender {

	private final HikariDataSource dataSource;

	/**
	 * Wraps a pool whose connections have {@code lock_timeout} set.
	 * @param dataSource the pool
	 */
	public RawPgAdvisoryFloor(HikariDataSource dataSource) {
		this.dataSource = dataSource;
	}

	@Override
	public String name() {
		return ContenderNames.FLOOR_PG;
	}

	@Override
	public String backend() {
		return "postgres";
	}

	@Override
	public boolean canWait() {
		return true;
	}

	@Override
	public @Nullable Held acquire(String key, Duration waitTime) throws SQLException {
		long lockId = hash(key);
		Connection connection = this.dataSource.getConnection();
		boolean acquired = false;
		try {
			if (waitTime.isZero()) {
				acquired = call(connection, "SELECT pg_try_advisory_lock(?)", lockId);
			}
			else {
				try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
					statement.setLong(1, lockId);
					statement.execute();
					acquired = true;
				}
				catch (SQLException ex) {
					if (!"55P03".equals(ex.getSQLState())) {
						throw ex;
					}
				}
			}
		}
		finally {
			if (!acquired) {
				connection.close();
			}
		}
		if (!acquired) {
			return null;
		}
		return () -> {
			try (connection) {
				call(connection, "SELECT pg_advisory_unlock(?)", lockId);
			}
		};
	}

	private static boolean call(Connection connection, String sql, long lockId) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, lockId);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getBoolean(1);
			}
		}
	}

	/**
	 * 64-bit FNV-1a hash of the key, the advisory lock id.
	 * @param key the key
	 * @return the lock id
	 */
	static long hash(String key) {
		long hash = 0xcbf29ce484222325L;
		for (int i = 0; i < key.length(); i++) {
			hash ^= key.charAt(i);
			hash *= 0x100000001b3L;
		}
		return hash;
	}

	@Override
	public void close() {
		this.dataSource.close();
	}

}
