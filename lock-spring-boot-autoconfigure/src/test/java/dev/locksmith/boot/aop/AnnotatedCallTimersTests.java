package dev.locksmith.boot.aop;

import java.util.List;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.boot.annotation.DistributedLock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 19, item 1, as an application sees it with every Locksmith auto-configuration: an annotated call,
 * with both a meter registry and an observation registry, is timed once per timer name (before, it was
 * timed twice: {@code locksmith.acquire}/{@code locksmith.hold} from the advice and
 * {@code locksmith.lock.acquire} from the listener).
 */
class AnnotatedCallTimersTests {

	@Test
	void anAnnotatedCallIsTimedOncePerName() {
		MeterRegistry meters = new SimpleMeterRegistry();
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
		List<String> locksmith = ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader())
			.getCandidates()
			.stream()
			.filter((name) -> name.startsWith("dev.locksmith."))
			.toList();
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class))
			.withConfiguration(AutoConfigurations.of(locksmith.stream().map(AnnotatedCallTimersTests::load).toArray(Class[]::new)))
			.withBean(MeterRegistry.class, () -> meters)
			.withBean(ObservationRegistry.class, () -> observations)
			.withBean(Job.class)
			.run((context) -> {
				context.getBean(Job.class).run();
				List<String> timers = meters.getMeters()
					.stream()
					.filter((meter) -> meter.getId().getType() == Meter.Type.TIMER)
					.map((meter) -> meter.getId().getName())
					.sorted()
					.toList();
				assertThat(timers).containsExactly("locksmith.lock.acquire", "locksmith.lock.held");
			});
	}

	private static Class<?> load(String name) {
		try {
			return Class.forName(name);
		}
		catch (ClassNotFoundException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public static class Job {

		@DistributedLock(key = "'job'", name = "job")
		public void run() {
		}

	}

}
