/**
 * Micrometer Observation instrumentation of the lock engine: {@link dev.locksmith.boot.observation.ObservationLockObserver}
 * turns every acquisition and hold into an observation (a timer and a span with Boot's handlers), named and
 * tagged by a {@link dev.locksmith.boot.observation.LockObservationConvention} over a
 * {@link dev.locksmith.boot.observation.LockObservationContext}; the names and keys are listed in
 * {@link dev.locksmith.boot.observation.LockObservationDocumentation}.
 */
@NullMarked
package dev.locksmith.boot.observation;

import org.jspecify.annotations.NullMarked;
