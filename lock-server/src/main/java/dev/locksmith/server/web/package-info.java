/**
 * The lock service's REST API under {@code /api/v1alpha1}.
 */
@NullMarked
package dev.locksmith.server.web;

import org.jspecify.annotations.NullMarked;
