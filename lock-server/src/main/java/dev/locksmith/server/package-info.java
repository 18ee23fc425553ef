/**
 * The lock service: named locks ("services") that CI pipelines, cron jobs and scripts take and release
 * over REST ({@code /api/v1alpha1}) and gRPC ({@code tracker.lock.v1alpha1.LockService}), on top of any
 * {@link dev.locksmith.MutexService}. Stateless: every lock is a TTL-bound lease in the backend, addressed
 * by an opaque id that any instance can resolve.
 */
@NullMarked
package dev.locksmith.server;

import org.jspecify.annotations.NullMarked;
