/**
 * The etcd provider: {@link dev.locksmith.provider.etcd.EtcdLockProvider}, on the jetcd client (an
 * optional dependency).
 */
@NullMarked
package dev.locksmith.provider.etcd;

import org.jspecify.annotations.NullMarked;
