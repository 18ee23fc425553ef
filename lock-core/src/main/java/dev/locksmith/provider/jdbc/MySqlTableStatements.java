package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Table mode on MySQL 8 and MariaDB 10.6+ (InnoDB; the same SQL): {@code UTC_TIMESTAMP(3)}, {@code DATETIME(3)}
 * columns holding UTC, and the key's counter bumped with {@code ON DUPLICATE KEY UPDATE}.
 */
final class MySqlTableStatements extends TableStatements {

	private static final String NOW = "UTC_TIMESTAMP(3)";

	private final String bumpCounter;

	MySqlTableStatements(LockTable table) {
		super(table, NOW, "TIMESTAMPADD(MICROSECOND, CAST(? AS SIGNED) * 1000, UTC_TIMESTAMP(3))");
		this.bumpCounter = insertKeyRow(NOW) + " ON DUPLICATE KEY UPDATE fencing_token = fencing_token + 1";
	}

	@Override
	long bumpKeyCounter(Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.bumpCounter)) {
			statement.setString(1, key);
			statement.executeUpdate();
		}
		return selectToken(connection, key);
	}

	@Override
	Instant readInstant(ResultSet rs, String column) throws SQLException {
		return rs.getObject(column, LocalDateTime.class).toInstant(ZoneOffset.UTC);
	}

}
