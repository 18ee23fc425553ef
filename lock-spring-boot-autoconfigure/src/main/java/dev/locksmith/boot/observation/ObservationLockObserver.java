package dev.locksmith.boot.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockObserver;

/**
 * The engine's {@link LockObserver} backed by Micrometer's {@link ObservationRegistry}: one
 * {@link LockObservationDocumentation#ACQUIRE} observation per acquisition and one
 * {@link LockObservationDocumentation#HOLD} observation per hold, for {@code MutexService} calls and
 * annotated methods alike. Both start on the acquiring thread, so the caller's current observation is their
 * parent. Thread-safe.
 */
public final class ObservationLockObserver implements LockObserver {

	private final ObservationRegistry registry;

	private final @Nullable LockObservationConvention convention;

	/**
	 * Creates an observer.
	 * @param registry the observation registry
	 * @param convention a convention replacing {@link DefaultLockObservationConvention}, or {@code null}
	 */
	public ObservationLockObserver(ObservationRegistry registry, @Nullable LockObservationConvention convention) {
		this.registry = registry;
		this.convention = convention;
	}

	@Override
	public Acquisition acquiring(Request request) {
		if (this.registry.isNoop()) {
			return Acquisition.NONE;
		}
		LockObservationContext context = new LockObservationContext(LockObservationContext.Phase.ACQUIRE, request,
				null);
		Observation acquisition = start(LockObservationDocumentation.ACQUIRE, context);
		return new Acquisition() {

			@Override
			public Hold acquired(LockHandle handle) {
				context.setOutcome("acquired");
				acquisition.stop();
				LockObservationContext holdContext = new LockObservationContext(LockObservationContext.Phase.HOLD,
						request, handle);
				return new ObservedHold(start(LockObservationDocumentation.HOLD, holdContext), holdContext);
			}

			@Override
			public void failed(@Nullable Throwable error) {
				context.setOutcome((error != null) ? "error" : "timeout");
				if (error != null) {
					acquisition.error(error);
				}
				acquisition.stop();
			}

		};
	}

	private Observation start(LockObservationDocumentation documentation, LockObservationContext context) {
		context.setName(documentation.getName());
		context.setContextualName(documentation.getContextualName());
		return Observation
			.createNotStarted(this.convention, DefaultLockObservationConvention.INSTANCE, () -> context, this.registry)
			.start();
	}

	private record ObservedHold(Observation observation, LockObservationContext context) implements Hold {

		@Override
		public Scope openScope() {
			Observation.Scope scope = this.observation.openScope();
			return scope::close;
		}

		@Override
		public void ended(@Nullable Throwable error) {
			this.context.setOutcome((error == null) ? "released" : (error instanceof LockLostException) ? "lost" : "error");
			if (error != null) {
				this.observation.error(error);
			}
			this.observation.stop();
		}

	}

}
