/**
 * The benchmark scenarios S1–S5 and the server-side command counters S5 uses.
 */
@NullMarked
package dev.locksmith.benchmarks.scenario;

import org.jspecify.annotations.NullMarked;
