package dev.locksmith;

/**
 * What a lease holds on its key. A mutex is a {@link #WRITE} lease: it excludes every other lease on
 * the key, so a mutex and the write side of a read-write lock with the same name are the same lock.
 */
public enum LeaseType {

	/** Exclusive: no other lease of any type on the key. Used by mutexes and write locks. */
	WRITE,

	/** Shared with other readers; excludes writers. */
	READ,

	/** Some of a semaphore's permits; at most the semaphore's limit in total across live leases. */
	PERMITS

}
