package dev.locksmith.provider.jdbc;

import java.sql.BatchUpdateException;
import java.sql.SQLException;

import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.KeyText;

/**
 * Turns a database error into the exception a provider throws: a data error (SQLState class 22, data
 * exception, or 23, integrity constraint violation) is bad input and becomes an
 * {@link IllegalArgumentException}, which is never retried; anything else means the database could not do
 * the work and becomes a {@link LockProviderUnavailableException}. Messages show at most a short prefix of a
 * key and the first line of the database's message, cut short (a database may quote the rejected value).
 */
final class JdbcErrors {

	private static final int MAX_DATABASE_MESSAGE_CHARS = 200;

	private static final int MAX_DATA_ERROR_MESSAGE_CHARS = 60;

	private JdbcErrors() {
	}

	/**
	 * Returns whether the error is about the data sent (SQLState class 22 or 23).
	 * @param ex the error
	 * @return {@code true} for a data error
	 */
	static boolean isDataError(SQLException ex) {
		String state = ex.getSQLState();
		return state != null && (state.startsWith("22") || state.startsWith("23"));
	}

	/**
	 * Translates an error.
	 * @param provider the provider's description ({@code JDBC lock provider (table locksmith_lock)})
	 * @param operation what failed ({@code acquire})
	 * @param key the key concerned (shown shortened)
	 * @param ex the error
	 * @return the exception to throw
	 */
	static RuntimeException translate(String provider, String operation, String key, SQLException ex) {
		String shownKey = KeyText.forMessage(key);
		// a failed batch's own message quotes the statement with its bound values (the key); the server's error
		// is the next exception
		SQLException reported = (ex instanceof BatchUpdateException && ex.getNextException() != null)
				? ex.getNextException() : ex;
		if (isDataError(reported)) {
			return new IllegalArgumentException(provider + " " + operation + ": the database rejected the data of '"
					+ shownKey + "' (SQLState " + reported.getSQLState() + "): "
					+ firstLine(reported.getMessage(), MAX_DATA_ERROR_MESSAGE_CHARS), ex);
		}
		return new LockProviderUnavailableException(key, provider + " could not " + operation + " '" + shownKey + "': "
				+ firstLine(reported.getMessage(), MAX_DATABASE_MESSAGE_CHARS), ex);
	}

	private static String firstLine(String message, int maxChars) {
		if (message == null) {
			return "";
		}
		int end = message.indexOf('\n');
		String line = (end >= 0) ? message.substring(0, end) : message;
		line = (line.length() > maxChars) ? line.substring(0, maxChars) + "…" : line;
		// a database may quote a rejected value: no control character reaches a log line
		StringBuilder text = new StringBuilder(line.length());
		for (int i = 0; i < line.length(); i++) {
			char c = line.charAt(i);
			if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
				text.append(String.format("\\u%04x", (int) c));
			}
			else {
				text.append(c);
			}
		}
		return text.toString();
	}

}
