-- Locksmith JDBC lock table for MariaDB (InnoDB). Safe to run on every start.
-- One row per key (lease_id = '', lease_type = 'KEY') keeps the key's fencing counter; one row per live
-- lease (mutex/writer, reader, or semaphore permits). Times are UTC (UTC_TIMESTAMP(3)), so the session
-- time zone does not matter; keys compare case-sensitively (utf8mb4_bin).
CREATE TABLE IF NOT EXISTS locksmith_lock (
    lock_key      VARCHAR(512)  NOT NULL,
    lease_id      VARCHAR(128)  NOT NULL,
    lease_type    VARCHAR(8)    NOT NULL,
    owner         VARCHAR(255)  NOT NULL,
    permits       INT           NOT NULL,
    metadata      VARCHAR(4000) NOT NULL,
    fencing_token BIGINT        NOT NULL,
    locked_at     DATETIME(3)   NOT NULL,
    expires_at    DATETIME(3)   NOT NULL,
    PRIMARY KEY (lock_key, lease_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
