/**
 * The Kubernetes provider: {@link dev.locksmith.provider.kubernetes.KubernetesLockProvider}, on
 * {@code coordination.k8s.io/v1} Lease objects through the fabric8 client.
 */
@NullMarked
package dev.locksmith.provider.kubernetes;

import org.jspecify.annotations.NullMarked;
