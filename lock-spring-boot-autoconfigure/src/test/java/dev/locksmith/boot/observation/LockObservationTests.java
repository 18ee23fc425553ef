package dev.locksmith.boot.observation;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.LockObserver;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithMetricsAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithObservationAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One observability path (issue 19, item 1): with an {@link ObservationRegistry}, the engine's observations
 * time every acquisition and hold once, for annotated methods and {@link MutexService} callers alike, and
 * the listener records no timer of its own; without one, the listener's meters still appear, with the same
 * names.
 */
class LockObservationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class, LocksmithMetricsAutoConfiguration.class,
				LocksmithObservationAutoConfiguration.class))
		.withBean(Job.class);

	private final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();

	private final MeterRegistry meters = new SimpleMeterRegistry();

	private final ObservationRegistry observations = ObservationRegistry.create();

	LockObservationTests() {
		this.observations.observationConfig()
			.observationHandler(new DefaultMeterObservationHandler(this.meters))
			.observationHandler(new ObservationHandler<>() {

				@Override
				public void onStop(Observation.Context context) {
					LockObservationTests.this.stopped.add(context);
				}

				@Override
				public boolean supportsContext(Observation.Context context) {
					return true;
				}

			});
	}

	private ApplicationContextRunner withRegistries() {
		return this.contextRunner.withBean(MeterRegistry.class, () -> this.meters)
			.withBean(ObservationRegistry.class, () -> this.observations);
	}

	@Test
	void anAnnotatedCallRecordsExactlyOneTimerPerName() {
		withRegistries().run((context) -> {
			assertThat(context).hasSingleBean(ObservationLockObserver.class);
			context.getBean(Job.class).run("42", () -> {
			});
			assertThat(meterList()).containsExactly("locksmith.lock.acquire TIMER acquired",
					"locksmith.lock.acquire.active LONG_TASK_TIMER", "locksmith.lock.active GAUGE",
					"locksmith.lock.held TIMER released", "locksmith.lock.held.active LONG_TASK_TIMER");
			assertThat(this.meters.get("locksmith.lock.acquire").timer().count()).isOne();
			assertThat(this.meters.get("locksmith.lock.held").timer().count()).isOne();
		});
	}

	@Test
	void aMutexServiceCallRecordsExactlyOneTimerPerNameAndIsTraced() {
		withRegistries().run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			Observation caller = Observation.start("caller", this.observations);
			Observation.Context[] current = new Observation.Context[1];
			try (Observation.Scope scope = caller.openScope()) {
				locks.withLock("job:7", LockOptions.defaults().withName("job"),
						() -> current[0] = this.observations.getCurrentObservation().getContext());
			}
			caller.stop();
			assertThat(meterList()).containsExactly("caller TIMER", "caller.active LONG_TASK_TIMER",
					"locksmith.lock.acquire TIMER acquired", "locksmith.lock.acquire.active LONG_TASK_TIMER",
					"locksmith.lock.active GAUGE", "locksmith.lock.held TIMER released",
					"locksmith.lock.held.active LONG_TASK_TIMER");
			assertThat(this.stopped).extracting(Observation.Context::getName)
				.containsExactly("locksmith.lock.acquire", "locksmith.lock.held", "caller");
			Observation.Context acquire = this.stopped.get(0);
			Observation.Context hold = this.stopped.get(1);
			assertThat(acquire.getParentObservation().getContextView()).isSameAs(caller.getContext());
			assertThat(hold.getParentObservation().getContextView()).isSameAs(caller.getContext());
			assertThat(current[0]).as("the hold is the current observation while the action runs").isSameAs(hold);
			assertThat(acquire.getContextualName()).isEqualTo("lock acquire");
			assertThat(acquire.getLowCardinalityKeyValues()).containsExactlyInAnyOrder(KeyValue.of("name", "job"),
					KeyValue.of("provider", "memory"), KeyValue.of("outcome", "acquired"));
			assertThat(hold.getLowCardinalityKeyValues()).containsExactlyInAnyOrder(KeyValue.of("name", "job"),
					KeyValue.of("provider", "memory"), KeyValue.of("outcome", "released"));
			assertThat(hold.getHighCardinalityKeyValues()).extracting(KeyValue::getKey)
				.containsExactly("locksmith.fencing.token");
			assertThat(this.stopped).flatExtracting((c) -> c.getAllKeyValues().stream().map(KeyValue::getValue).toList())
				.doesNotContain("job:7");
		});
	}

	@Test
	void withLocksMakesTheHoldsCurrentWhileTheActionRuns() {
		withRegistries().run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			Observation.Context[] current = new Observation.Context[1];
			locks.withLocks(List.of("a", "b"), LockOptions.defaults(),
					() -> current[0] = currentContext());
			assertThat(holds()).hasSize(2);
			assertThat(current[0]).as("a hold of the set is the current observation while the action runs")
				.isIn(holds().toArray());
		});
	}

	@Test
	void anAnnotatedMultiKeyCallMakesTheHoldsCurrentWhileTheMethodRuns() {
		withRegistries().run((context) -> {
			Observation.Context[] current = new Observation.Context[1];
			context.getBean(Job.class).runBoth("1", "2", () -> current[0] = currentContext());
			assertThat(holds()).hasSize(2);
			assertThat(current[0]).as("a hold of the set is the current observation while the method runs")
				.isIn(holds().toArray());
			assertThat(this.observations.getCurrentObservation()).as("scopes closed after the method").isNull();
		});
	}

	private Observation.@org.jspecify.annotations.Nullable Context currentContext() {
		Observation observation = this.observations.getCurrentObservation();
		return (observation != null) ? observation.getContext() : null;
	}

	private List<Observation.Context> holds() {
		return this.stopped.stream().filter((c) -> "locksmith.lock.held".equals(c.getName())).toList();
	}

	@Test
	void aDeniedAcquisitionIsObservedAsATimeout() {
		withRegistries().run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			var held = java.util.concurrent.CompletableFuture.supplyAsync(() -> locks.acquire("busy")).join();
			assertThat(locks.tryAcquire("busy")).isEmpty();
			held.release();
			assertThat(this.meters.get("locksmith.lock.acquire").tags("outcome", "timeout").timer().count()).isOne();
			assertThat(this.meters.find("locksmith.lock.acquire").timers()).hasSize(2);
		});
	}

	@Test
	void withoutAnObservationRegistryTheListenerRecordsTheSameTimers() {
		this.contextRunner.withBean(MeterRegistry.class, () -> this.meters).run((context) -> {
			assertThat(context).doesNotHaveBean(LockObserver.class);
			context.getBean(Job.class).run("1", () -> {
			});
			context.getBean(MutexService.class).withLock("job:2", LockOptions.defaults().withName("job"), () -> null);
			assertThat(meterList()).containsExactly("locksmith.lock.acquire TIMER acquired",
					"locksmith.lock.active GAUGE", "locksmith.lock.held TIMER released",
					"locksmith.lock.held.active LONG_TASK_TIMER");
			assertThat(this.meters.get("locksmith.lock.acquire").tags("name", "job").timer().count()).isEqualTo(2);
			assertThat(this.meters.get("locksmith.lock.held").tags("name", "job").timer().count()).isEqualTo(2);
		});
	}

	@Test
	void aConventionBeanReplacesTheDefault() {
		LockObservationConvention custom = new DefaultLockObservationConvention() {

			@Override
			public KeyValues getLowCardinalityKeyValues(LockObservationContext context) {
				return super.getLowCardinalityKeyValues(context).and("type", context.getLeaseType().name());
			}

		};
		withRegistries().withBean(LockObservationConvention.class, () -> custom).run((context) -> {
			context.getBean(MutexService.class).withLock("k", () -> null);
			assertThat(this.meters.get("locksmith.lock.acquire").tags("type", "WRITE").timer().count()).isOne();
		});
	}

	@Test
	void aNoopRegistryObservesNothingAndLocksStillWork() {
		this.contextRunner.withBean(ObservationRegistry.class, () -> ObservationRegistry.NOOP).run((context) -> {
			boolean[] ran = new boolean[1];
			context.getBean(Job.class).run("1", () -> ran[0] = true);
			assertThat(ran[0]).isTrue();
		});
	}

	/** Each meter as "name TYPE [outcome]", sorted. */
	private List<String> meterList() {
		return this.meters.getMeters()
			.stream()
			.map(Meter::getId)
			.map((id) -> (id.getName() + " " + id.getType() + " " + ((id.getTag("outcome") != null) ? id.getTag("outcome") : "")).strip())
			.sorted()
			.toList();
	}

	public static class Job {

		@DistributedLock(key = "'job:' + #id", name = "job")
		public void run(String id, Runnable body) {
			body.run();
		}

		@DistributedLock(keys = { "'job:' + #first", "'job:' + #second" }, name = "job")
		public void runBoth(String first, String second, Runnable body) {
			body.run();
		}

	}

}
