/**
 * Test support shipped in lock-core's test-jar: real backend servers started by the tests themselves.
 */
@NullMarked
package dev.locksmith.testsupport;

import org.jspecify.annotations.NullMarked;
