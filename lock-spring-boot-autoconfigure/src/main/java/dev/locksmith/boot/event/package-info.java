/**
 * Lock events as Spring application events (opt-in with {@code locksmith.events.enabled=true}):
 * {@link dev.locksmith.boot.event.LockApplicationEventPublisher} publishes a
 * {@link dev.locksmith.boot.event.LockApplicationEvent} subclass for each acquisition, release, loss, denial
 * and failed renewal, so that applications can react with {@code @EventListener} methods.
 */
@NullMarked
package dev.locksmith.boot.event;

import org.jspecify.annotations.NullMarked;
