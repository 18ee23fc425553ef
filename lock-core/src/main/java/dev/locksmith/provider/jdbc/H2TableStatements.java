package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Table mode on H2 2.x: {@code CURRENT_TIMESTAMP}, timestamp-with-time-zone columns, and the key's counter
 * bumped by update-or-insert.
 */
final class H2TableStatements extends TableStatements {

	private static final String NOW = "CURRENT_TIMESTAMP";

	private final String bumpCounter;

	private final String insertKeyRow;

	H2TableStatements(LockTable table) {
		super(table, NOW, "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)");
		this.bumpCounter = "UPDATE " + table.name()
				+ " SET fencing_token = fencing_token + 1 WHERE lock_key = ? AND lease_id = ''";
		this.insertKeyRow = insertKeyRow(NOW);
	}

	@Override
	long bumpKeyCounter(Connection connection, String key) throws SQLException {
		while (true) {
			try (PreparedStatement statement = connection.prepareStatement(this.bumpCounter)) {
				statement.setString(1, key);
				if (statement.executeUpdate() == 1) {
					return selectToken(connection, key);
				}
			}
			try (PreparedStatement statement = connection.prepareStatement(this.insertKeyRow)) {
				statement.setString(1, key);
				statement.executeUpdate();
				return 1;
			}
			catch (SQLException ex) {
				if (ex.getSQLState() == null || !ex.getSQLState().startsWith("23")) {
					throw ex;
				}
				// another transaction created the row first: lock and bump it instead
			}
		}
	}

}
