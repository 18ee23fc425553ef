package dev.locksmith.boot.shedlock;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock.InterceptMode;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.locksmith.MutexService;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;
import dev.locksmith.boot.autoconfigure.ShedLockBridgeAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ShedLock's own {@code @EnableSchedulerLock} / {@code @SchedulerLock}, unchanged, on the auto-configured
 * bridge: while one call holds the lock, a concurrent call is skipped; the lock is a Locksmith lease.
 */
class SchedulerLockEndToEndTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class, ShedLockBridgeAutoConfiguration.class))
		.withUserConfiguration(ShedLockConfiguration.class);

	@Test
	void aConcurrentRunIsSkippedWhileTheLockIsHeld() {
		this.contextRunner.run((context) -> {
			Job job = context.getBean(Job.class);
			State state = context.getBean(State.class);
			CompletableFuture<Void> first = CompletableFuture.runAsync(job::run);
			assertThat(state.started.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(context.getBean(MutexService.class).isLocked("shedlock:report")).isTrue();
			job.run();
			assertThat(state.runs).as("the second call was skipped").hasValue(1);
			state.release.countDown();
			first.get(10, TimeUnit.SECONDS);
			assertThat(context.getBean(MutexService.class).isLocked("shedlock:report")).isFalse();
			job.run();
			assertThat(state.runs).hasValue(2);
		});
	}

	@Configuration(proxyBeanMethods = false)
	@EnableSchedulerLock(interceptMode = InterceptMode.PROXY_METHOD, defaultLockAtMostFor = "1m")
	static class ShedLockConfiguration {

		@Bean
		State state() {
			return new State();
		}

		@Bean
		Job job(State state) {
			return new Job(state);
		}

	}

	/** What the job did (kept outside the proxied job). */
	static class State {

		final AtomicInteger runs = new AtomicInteger();

		final CountDownLatch started = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

	}

	/** A job guarded by ShedLock. */
	static class Job {

		private final State state;

		Job(State state) {
			this.state = state;
		}

		@SchedulerLock(name = "report", lockAtMostFor = "30s")
		public void run() {
			if (this.state.runs.incrementAndGet() == 1) {
				this.state.started.countDown();
				try {
					this.state.release.await(10, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
		}

	}

}
