/**
 * Test support shipped in lock-core's test-jar: a manual clock, a counting provider decorator, and
 * real servers (Redis, a three-master Redis Cluster, Redis Sentinel, PostgreSQL, etcd) started by the tests
 * themselves.
 */
@NullMarked
package dev.locksmith.testsupport;

import org.jspecify.annotations.NullMarked;
