/**
 * Micrometer meters for lock events: {@link dev.locksmith.boot.metrics.MicrometerLockListener} records the
 * meters named in {@link dev.locksmith.boot.metrics.LockMetricNames}.
 */
@NullMarked
package dev.locksmith.boot.metrics;

import org.jspecify.annotations.NullMarked;
