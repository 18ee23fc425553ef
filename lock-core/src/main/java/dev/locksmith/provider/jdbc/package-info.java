/**
 * JDBC lock providers.
 *
 * <ul>
 * <li>{@link dev.locksmith.provider.jdbc.JdbcLockProvider} — <b>table mode</b>, any supported SQL database
 * (PostgreSQL, H2, MySQL, MariaDB): every lease is a row in one table ({@code locksmith_lock} by default),
 * expiry is decided by the database clock, and a per-key counter row serialises grants and issues the
 * fencing tokens. Schema scripts ship as {@code dev/locksmith/provider/jdbc/schema-<platform>.sql}.</li>
 * <li>{@link dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider} — <b>advisory mode</b>, PostgreSQL
 * only: session advisory locks on a connection pinned for as long as the lock is held; a dead session is
 * reported as a lost lease at once.</li>
 * </ul>
 *
 * <p>On PostgreSQL both providers wake waiters with {@code LISTEN/NOTIFY} through one listening connection
 * per provider. The providers borrow connections straight from the {@link javax.sql.DataSource} and commit
 * their own short transactions, so a lock never joins (and never waits for) the caller's transaction.
 *
 * <p><b>Layout.</b> {@code LockTable} describes the table both modes use: its column list (written once),
 * identifier checks, schema verification, row mapping and column limits (checked before any SQL runs).
 * Table mode's SQL lives in one statements class per database ({@code PostgresTableStatements},
 * {@code H2TableStatements}, {@code MySqlTableStatements} for MySQL and MariaDB, chosen by {@code JdbcDialect}
 * from the connection); {@code JdbcLockProvider} only binds and runs it. Advisory mode's SQL is in
 * {@code AdvisoryStatements}, its lock ids in {@code AdvisoryLockIds}, its pinned sessions (TTL, liveness
 * checks, loss) in {@code AdvisorySessions}. {@code JdbcErrors} turns database errors into exceptions (a
 * data error is an {@link java.lang.IllegalArgumentException}, never an outage).
 */
@NullMarked
package dev.locksmith.provider.jdbc;

import org.jspecify.annotations.NullMarked;
