package dev.locksmith.boot.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockListener;

/**
 * Turns {@link LockEvent}s into the meters listed in {@link LockMetricNames}. The acquire and hold timers
 * only when asked to (when no observation records them). Thread-safe; called synchronously by the engine,
 * so it only updates meters.
 */
public final class MicrometerLockListener implements LockListener {

	private final MeterRegistry registry;

	private final boolean timers;

	private final Map<LockHandle, LongTaskTimer.Sample> holds = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();

	/** Marks a hold counted by the gauge but timed by an observation. */
	private static final LongTaskTimer.Sample NO_SAMPLE = new LongTaskTimer.Sample() {

		@Override
		public long stop() {
			return 0;
		}

		@Override
		public double duration(java.util.concurrent.TimeUnit unit) {
			return 0;
		}

	};

	/**
	 * Creates a listener recording into {@code registry}.
	 * @param registry the meter registry
	 */
	public MicrometerLockListener(MeterRegistry registry) {
		this(registry, true);
	}

	/**
	 * Creates a listener recording into {@code registry}.
	 * @param registry the meter registry
	 * @param timers whether to record the acquire and hold timers ({@link LockMetricNames#ACQUIRE},
	 * {@link LockMetricNames#HELD}, {@link LockMetricNames#HELD_ACTIVE}); false when the engine's observations
	 * record them
	 */
	public MicrometerLockListener(MeterRegistry registry, boolean timers) {
		this.registry = registry;
		this.timers = timers;
	}

	@Override
	public void onEvent(LockEvent event) {
		switch (event.type()) {
			case ACQUIRED -> acquired(event);
			case FAILED -> {
				if (this.timers) {
					timer(event, (event.error() != null) ? "error" : "timeout").record(event.duration());
				}
			}
			case RELEASED -> ended(event, "released");
			case LOST -> {
				Counter.builder(LockMetricNames.LOST)
					.description("Leases lost while held")
					.tag(LockMetricNames.TAG_NAME, event.name())
					.tag(LockMetricNames.TAG_PROVIDER, event.provider())
					.register(this.registry)
					.increment();
				ended(event, "lost");
			}
			case RENEWED -> renewal(event, "success");
			case RENEW_FAILED -> renewal(event, "failure");
		}
	}

	private void acquired(LockEvent event) {
		LockHandle handle = event.handle();
		if (handle == null) {
			return;
		}
		LongTaskTimer.Sample sample = null;
		if (this.timers) {
			timer(event, "acquired").record(event.duration());
			sample = LongTaskTimer.builder(LockMetricNames.HELD_ACTIVE)
				.description("Leases held now, and for how long")
				.tag(LockMetricNames.TAG_NAME, event.name())
				.tag(LockMetricNames.TAG_PROVIDER, event.provider())
				.register(this.registry)
				.start();
		}
		if (this.holds.putIfAbsent(handle, (sample != null) ? sample : NO_SAMPLE) == null) {
			activeCount(event.provider()).incrementAndGet();
		}
	}

	private void ended(LockEvent event, String outcome) {
		LockHandle handle = event.handle();
		LongTaskTimer.Sample sample = (handle != null) ? this.holds.remove(handle) : null;
		if (sample == null) {
			return;
		}
		activeCount(event.provider()).decrementAndGet();
		if (sample != NO_SAMPLE) {
			sample.stop();
			timer(LockMetricNames.HELD, "How long leases were held", event, outcome).record(event.duration());
		}
	}

	private Timer timer(LockEvent event, String outcome) {
		return timer(LockMetricNames.ACQUIRE, "Time to acquire a lock", event, outcome);
	}

	private Timer timer(String name, String description, LockEvent event, String outcome) {
		return Timer.builder(name)
			.description(description)
			.tag(LockMetricNames.TAG_NAME, event.name())
			.tag(LockMetricNames.TAG_PROVIDER, event.provider())
			.tag(LockMetricNames.TAG_OUTCOME, outcome)
			.register(this.registry);
	}

	private void renewal(LockEvent event, String outcome) {
		Counter.builder(LockMetricNames.RENEWALS)
			.description("Lease renewals")
			.tag(LockMetricNames.TAG_NAME, event.name())
			.tag(LockMetricNames.TAG_PROVIDER, event.provider())
			.tag(LockMetricNames.TAG_OUTCOME, outcome)
			.register(this.registry)
			.increment();
	}

	private AtomicInteger activeCount(String provider) {
		return this.active.computeIfAbsent(provider, (name) -> {
			AtomicInteger count = new AtomicInteger();
			Gauge.builder(LockMetricNames.ACTIVE, count, AtomicInteger::get)
				.description("Leases held now by this instance")
				.tag(LockMetricNames.TAG_PROVIDER, name)
				.register(this.registry);
			return count;
		});
	}

}
