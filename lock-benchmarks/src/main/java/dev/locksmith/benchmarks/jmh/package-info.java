/**
 * JMH micro-benchmarks: the memory provider's acquire+release and the {@code @DistributedLock} aspect's
 * overhead over a direct {@code MutexService} call.
 */
@NullMarked
package dev.locksmith.benchmarks.jmh;

import org.jspecify.annotations.NullMarked;
