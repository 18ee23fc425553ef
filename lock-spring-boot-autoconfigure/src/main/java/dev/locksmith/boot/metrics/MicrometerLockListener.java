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
 * Turns {@link LockEvent}s into the meters listed in {@link LockMetricNames}. Thread-safe; called
 * synchronously by the engine, so it only updates meters.
 */
public final class MicrometerLockListener implements LockListener {

	private final MeterRegistry registry;

	private final Map<LockHandle, LongTaskTimer.Sample> holds = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();

	/**
	 * Creates a listener recording into {@code registry}.
	 * @param registry the meter registry
	 */
	public MicrometerLockListener(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void onEvent(LockEvent event) {
		switch (event.type()) {
			case ACQUIRED -> acquired(event);
			case FAILED -> timer(event, (event.error() != null) ? "error" : "timeout").record(event.duration());
			case RELEASED -> ended(event);
			case LOST -> {
				Counter.builder(LockMetricNames.LOST)
					.description("Leases lost while held")
					.tag(LockMetricNames.TAG_NAME, event.name())
					.tag(LockMetricNames.TAG_PROVIDER, event.provider())
					.register(this.registry)
					.increment();
				ended(event);
			}
			case RENEWED -> renewal(event, "success");
			case RENEW_FAILED -> renewal(event, "failure");
		}
	}

	private void acquired(LockEvent event) {
		timer(event, "acquired").record(event.duration());
		LockHandle handle = event.handle();
		if (handle != null) {
			LongTaskTimer.Sample sample = LongTaskTimer.builder(LockMetricNames.HELD)
				.description("Leases held now, and for how long")
				.tag(LockMetricNames.TAG_NAME, event.name())
				.tag(LockMetricNames.TAG_PROVIDER, event.provider())
				.register(this.registry)
				.start();
			if (this.holds.putIfAbsent(handle, sample) == null) {
				activeCount(event.provider()).incrementAndGet();
			}
		}
	}

	private void ended(LockEvent event) {
		LockHandle handle = event.handle();
		LongTaskTimer.Sample sample = (handle != null) ? this.holds.remove(handle) : null;
		if (sample != null) {
			sample.stop();
			activeCount(event.provider()).decrementAndGet();
		}
	}

	private Timer timer(LockEvent event, String outcome) {
		return Timer.builder(LockMetricNames.ACQUIRE)
			.description("Time to acquire a lock")
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
