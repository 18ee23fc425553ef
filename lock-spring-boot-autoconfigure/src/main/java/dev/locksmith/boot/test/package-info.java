/**
 * Test support: {@link dev.locksmith.boot.test.AutoConfigureLocksmith} adds Locksmith to Spring Boot test
 * slices.
 */
@NullMarked
package dev.locksmith.boot.test;

import org.jspecify.annotations.NullMarked;
