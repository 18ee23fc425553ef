/**
 * The Locksmith sample application.
 */
@NullMarked
package dev.locksmith.sample;

import org.jspecify.annotations.NullMarked;
