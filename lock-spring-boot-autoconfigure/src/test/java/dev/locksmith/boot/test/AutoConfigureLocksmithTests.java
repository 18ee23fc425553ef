package dev.locksmith.boot.test;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A context without auto-configuration (like a test slice) gets the lock service and a working
 * {@code @DistributedLock} from {@link AutoConfigureLocksmith}, and neither without it.
 */
class AutoConfigureLocksmithTests {

	@Test
	void sliceWithTheAnnotationLocksAnnotatedMethods() {
		new ApplicationContextRunner().withUserConfiguration(SliceWithLocksmith.class).run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			assertThat(context.getBean(Job.class).run("nightly", locks)).as("locked while the method ran").isTrue();
			assertThat(locks.isLocked("job:nightly")).isFalse();
		});
	}

	@Test
	void sliceWithoutTheAnnotationHasNoLockService() {
		new ApplicationContextRunner().withUserConfiguration(SliceWithoutLocksmith.class)
			.run((context) -> assertThat(context).doesNotHaveBean(MutexService.class));
	}

	@Configuration(proxyBeanMethods = false)
	@AutoConfigureLocksmith
	static class SliceWithLocksmith {

		@Bean
		Job job() {
			return new Job();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SliceWithoutLocksmith {

		@Bean
		Job job() {
			return new Job();
		}

	}

	/** A bean with one locked method. */
	public static class Job {

		/**
		 * Reports whether the lock is held while the method runs.
		 * @param name the job name
		 * @param locks the lock service
		 * @return whether {@code job:<name>} was locked during the call
		 */
		@DistributedLock(key = "'job:' + #name")
		public boolean run(String name, MutexService locks) {
			return locks.isLocked("job:" + name);
		}

	}

}
