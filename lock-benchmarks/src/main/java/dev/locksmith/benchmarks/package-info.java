/**
 * The benchmark runner: starts Redis and PostgreSQL, builds every contender, runs the scenarios
 * alternating between contenders, and prints and writes the results.
 */
@NullMarked
package dev.locksmith.benchmarks;

import org.jspecify.annotations.NullMarked;
