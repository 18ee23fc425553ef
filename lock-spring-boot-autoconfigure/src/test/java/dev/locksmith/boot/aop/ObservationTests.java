package dev.locksmith.boot.aop;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

class ObservationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class))
		.withBean(Job.class);

	@Test
	void acquireAndHoldAreObservedWithLowCardinalityKeys() {
		List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig().observationHandler(new ObservationHandler<>() {

			@Override
			public void onStop(Observation.Context context) {
				stopped.add(context);
			}

			@Override
			public boolean supportsContext(Observation.Context context) {
				return true;
			}

		});
		this.contextRunner.withBean(ObservationRegistry.class, () -> registry).run((context) -> {
			Observation.Context[] current = new Observation.Context[1];
			context.getBean(Job.class).run("42", () -> current[0] = registry.getCurrentObservation().getContext());
			assertThat(stopped).extracting(Observation.Context::getName)
				.containsExactly("locksmith.acquire", "locksmith.hold");
			assertThat(current[0]).as("the hold observation is current while the method runs")
				.isSameAs(stopped.get(1));
			assertThat(stopped.get(0).getLowCardinalityKeyValues()).containsExactlyInAnyOrder(
					KeyValue.of("locksmith.lock.name", "job"), KeyValue.of("locksmith.provider", "memory"),
					KeyValue.of("locksmith.outcome", "acquired"));
			assertThat(stopped.get(1).getLowCardinalityKeyValues()).containsExactlyInAnyOrder(
					KeyValue.of("locksmith.lock.name", "job"), KeyValue.of("locksmith.provider", "memory"));
			assertThat(stopped).flatExtracting((c) -> c.getAllKeyValues().stream().map(KeyValue::getValue).toList())
				.doesNotContain("job:42");
		});
	}

	@Test
	void worksWithoutAnObservationRegistry() {
		this.contextRunner.run((context) -> {
			boolean[] ran = new boolean[1];
			context.getBean(Job.class).run("1", () -> ran[0] = true);
			assertThat(ran[0]).isTrue();
		});
	}

	public static class Job {

		@DistributedLock(key = "'job:' + #id", name = "job")
		public void run(String id, Runnable body) {
			body.run();
		}

	}

}
