package dev.locksmith.boot.metrics;

import java.time.Duration;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

class MicrometerLockListenerTests {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private final MemoryLockProvider provider = new MemoryLockProvider();

	private final LockEngine locks = Locksmith.builder(this.provider)
		.listener(new MicrometerLockListener(this.registry))
		.build();

	private final LockEngine otherInstance = Locksmith.builder(this.provider).build();

	@AfterEach
	void close() {
		this.locks.close();
		this.otherInstance.close();
	}

	@Test
	void acquireHoldAndActiveAreTaggedByName() {
		LockOptions options = LockOptions.defaults().withName("orders");
		LockHandle handle = this.locks.acquire("order:12345", options);
		assertThat(this.registry.get(LockMetricNames.ACQUIRE)
			.tags("name", "orders", "provider", "memory", "outcome", "acquired")
			.timer()
			.count()).isOne();
		assertThat(this.registry.get(LockMetricNames.HELD_ACTIVE).tags("name", "orders").longTaskTimer().activeTasks())
			.isOne();
		assertThat(this.registry.get(LockMetricNames.ACTIVE).tags("provider", "memory").gauge().value()).isOne();
		handle.close();
		assertThat(this.registry.get(LockMetricNames.HELD_ACTIVE).tags("name", "orders").longTaskTimer().activeTasks())
			.isZero();
		assertThat(this.registry.get(LockMetricNames.HELD).tags("name", "orders", "outcome", "released").timer().count())
			.isOne();
		assertThat(this.registry.get(LockMetricNames.ACTIVE).gauge().value()).isZero();
		assertThat(this.registry.getMeters()).flatExtracting((meter) -> meter.getId().getTags())
			.extracting(Tag::getValue)
			.doesNotContain("order:12345");
	}

	@Test
	void failedAcquisitionsAreTimedWithTheirOutcome() {
		try (LockHandle held = this.otherInstance.acquire("busy")) {
			assertThat(this.locks.tryAcquire("busy", LockOptions.waitTime(Duration.ZERO).withName("busy")))
				.isEmpty();
		}
		assertThat(this.registry.get(LockMetricNames.ACQUIRE).tags("name", "busy", "outcome", "timeout").timer().count())
			.isOne();
	}

	@Test
	void lostLeasesAreCounted() {
		LockHandle handle = this.locks.acquire("short", LockOptions.ttl(Duration.ofMillis(200)).withName("short"));
		Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !handle.isValid());
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
		// a loss the renewal thread found is reported on the callback executor, so it may arrive just after
		Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			assertThat(this.registry.get(LockMetricNames.LOST).tags("name", "short").counter().count()).isOne();
			assertThat(this.registry.get(LockMetricNames.HELD_ACTIVE).tags("name", "short").longTaskTimer().activeTasks())
				.isZero();
			assertThat(this.registry.get(LockMetricNames.HELD).tags("name", "short", "outcome", "lost").timer().count())
				.isOne();
		});
		assertThat(this.registry.get(LockMetricNames.ACTIVE).gauge().value()).isZero();
	}

	@Test
	void renewalsAreCounted() {
		LockOptions options = LockOptions.ttl(Duration.ofMillis(300)).withAutoExtend(true).withName("renewed");
		try (LockHandle handle = this.locks.acquire("renewed", options)) {
			Awaitility.await()
				.atMost(Duration.ofSeconds(5))
				.until(() -> this.registry.find(LockMetricNames.RENEWALS)
					.tags("name", "renewed", "outcome", "success")
					.counters()
					.stream()
					.mapToDouble(io.micrometer.core.instrument.Counter::count)
					.sum() >= 2);
			assertThat(handle.isValid()).isTrue();
		}
		assertThat(this.registry.getMeters()).extracting(Meter::getId)
			.extracting((id) -> id.getTag("outcome"))
			.doesNotContain("failure");
	}

}
