/**
 * The lock backends that ship with lock-core. Each lives in its own sub-package and depends only on
 * its client library, which is an optional dependency of lock-core.
 */
@NullMarked
package dev.locksmith.provider;

import org.jspecify.annotations.NullMarked;
