/**
 * The lock implementations under test, each behind {@link dev.locksmith.benchmarks.contender.Contender}.
 */
@NullMarked
package dev.locksmith.benchmarks.contender;

import org.jspecify.annotations.NullMarked;
