/**
 * The lock service over gRPC: {@code tracker.lock.v1alpha1.LockService} with server reflection, on a
 * plain grpc-java server (shaded Netty transport) that this module starts and stops with the context.
 */
@NullMarked
package dev.locksmith.server.grpc;

import org.jspecify.annotations.NullMarked;
