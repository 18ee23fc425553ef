-- Locksmith JDBC lock table for PostgreSQL. Safe to run on every start.
-- One row per key (lease_id = '', lease_type = 'KEY') keeps the key's fencing counter; one row per live
-- lease (mutex/writer, reader, or semaphore permits). Expiry is compared with the database's now().
CREATE TABLE IF NOT EXISTS locksmith_lock (
    lock_key      VARCHAR(512)             NOT NULL,
    lease_id      VARCHAR(128)             NOT NULL,
    lease_type    VARCHAR(8)               NOT NULL,
    owner         VARCHAR(255)             NOT NULL,
    permits       INTEGER                  NOT NULL,
    metadata      VARCHAR(4000)            NOT NULL,
    fencing_token BIGINT                   NOT NULL,
    locked_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (lock_key, lease_id)
);

-- Fencing tokens of the advisory-lock mode (PostgresAdvisoryLockProvider).
CREATE SEQUENCE IF NOT EXISTS locksmith_fencing_seq;
