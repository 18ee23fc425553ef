/**
 * Collecting measurements and rendering them as markdown tables and CSV.
 */
@NullMarked
package dev.locksmith.benchmarks.report;

import org.jspecify.annotations.NullMarked;
