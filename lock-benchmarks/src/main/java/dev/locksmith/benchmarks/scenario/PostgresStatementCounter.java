package dev.locksmith.benchmarks.scenario;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import javax.sql.DataSource;

/**
 * Counts statements executed by the PostgreSQL server with {@code pg_stat_statements} (loaded by
 * {@link dev.locksmith.benchmarks.BenchmarkServers}); the counting queries themselves are excluded.
 */
public final class PostgresStatementCounter implements CommandCounter {

	private static final String CALLS = "SELECT query, calls FROM pg_stat_statements "
			+ "WHERE query NOT ILIKE '%pg_stat_statements%'";

	private final DataSource admin;

	/**
	 * Creates a counter.
	 * @param admin a data source for the counting queries
	 */
	public PostgresStatementCounter(DataSource admin) {
		this.admin = admin;
	}

	@Override
	public Window start() throws SQLException {
		Map<String, Long> before = snapshot();
		Map<String, Long> delta = new LinkedHashMap<>();
		return new Window() {

			@Override
			public long stop() throws SQLException {
				Map<String, Long> after = snapshot();
				after.forEach((query, calls) -> {
					long d = calls - before.getOrDefault(query, 0L);
					if (d > 0) {
						delta.put(query, d);
					}
				});
				return delta.values().stream().mapToLong(Long::longValue).sum();
			}

			@Override
			public String breakdown() {
				return delta.entrySet()
					.stream()
					.sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
					.limit(3)
					.map((e) -> "`" + abbreviate(e.getKey()) + "`×" + e.getValue())
					.collect(Collectors.joining(" "));
			}

		};
	}

	private Map<String, Long> snapshot() throws SQLException {
		Map<String, Long> calls = new LinkedHashMap<>();
		try (Connection connection = this.admin.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery(CALLS)) {
			while (rows.next()) {
				calls.merge(rows.getString(1), rows.getLong(2), Long::sum);
			}
		}
		return calls;
	}

	private static String abbreviate(String query) {
		String flat = query.replaceAll("\\s+", " ").trim();
		return (flat.length() > 40) ? flat.substring(0, 40) + "…" : flat;
	}

}
