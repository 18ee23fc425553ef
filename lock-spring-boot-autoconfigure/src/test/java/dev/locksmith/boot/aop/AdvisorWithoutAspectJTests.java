package dev.locksmith.boot.aop;

import org.junit.jupiter.api.Test;

import org.springframework.aop.aspectj.annotation.AnnotationAwareAspectJAutoProxyCreator;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.ClassUtils;

import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code @DistributedLock} advice is an infrastructure advisor: it needs Spring AOP only, so the
 * starter does not bring AspectJ. With AspectJ hidden from the class path, an annotated method still runs
 * under its lock.
 */
class AdvisorWithoutAspectJTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withClassLoader(new FilteredClassLoader("org.aspectj"))
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class))
		.withBean(Job.class);

	@Test
	void annotatedMethodRunsUnderItsLockWithoutAspectJ() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(ClassUtils.isPresent("org.aspectj.weaver.Advice", context.getClassLoader())).isFalse();
			assertThat(context.getBean(AopConfigUtils.AUTO_PROXY_CREATOR_BEAN_NAME))
				.isNotInstanceOf(AnnotationAwareAspectJAutoProxyCreator.class);
			Job job = context.getBean(Job.class);
			assertThat(AopUtils.isAopProxy(job)).isTrue();
			MutexService locks = context.getBean(MutexService.class);
			assertThat(job.run("nightly", locks)).as("locked while the method ran").isTrue();
			assertThat(locks.isLocked("job:nightly")).as("released after it returned").isFalse();
		});
	}

	@Test
	void annotatedMethodRunsUnderItsLockWithoutBootsAopAutoConfiguration() {
		new ApplicationContextRunner().withClassLoader(new FilteredClassLoader("org.aspectj"))
			.withConfiguration(
					AutoConfigurations.of(LocksmithAutoConfiguration.class, DistributedLockAutoConfiguration.class))
			.withBean(Job.class)
			.run((context) -> {
				MutexService locks = context.getBean(MutexService.class);
				assertThat(context.getBean(Job.class).run("weekly", locks)).isTrue();
				assertThat(locks.isLocked("job:weekly")).isFalse();
			});
	}

	/** A bean with one locked method. */
	public static class Job {

		@DistributedLock(key = "'job:' + #name")
		public boolean run(String name, MutexService locks) {
			return locks.isLocked("job:" + name);
		}

	}

}
