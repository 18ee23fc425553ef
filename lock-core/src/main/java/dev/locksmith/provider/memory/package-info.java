/**
 * The in-memory provider: locks for one JVM, with the full semantics (TTL, fencing, read-write,
 * semaphores, notification-based waiting) and an injectable clock for tests.
 */
@NullMarked
package dev.locksmith.provider.memory;

import org.jspecify.annotations.NullMarked;
