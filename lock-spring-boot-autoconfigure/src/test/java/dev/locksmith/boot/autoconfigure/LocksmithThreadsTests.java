package dev.locksmith.boot.autoconfigure;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.leader.LeaderListener;
import dev.locksmith.leader.Leadership;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The threads Locksmith runs user code on follow {@code spring.threads.virtual.enabled} and the
 * {@value LocksmithAutoConfiguration#THREAD_FACTORY_BEAN_NAME} bean. The virtual-thread case needs JDK 21+:
 * the build runs on JDK 17 and skips it; run it by hand with {@code JAVA_HOME} set to a JDK 21+.
 */
class LocksmithThreadsTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class));

	@Test
	@EnabledForJreRange(min = JRE.JAVA_21)
	void withVirtualThreadsEnabledOnLostCallbacksRunOnVirtualThreads() {
		this.contextRunner.withPropertyValues("spring.threads.virtual.enabled=true").run((context) -> {
			Thread thread = threadOfOnLost(context.getBean(LockEngine.class));
			assertThat(isVirtual(thread)).as("%s is virtual", thread).isTrue();
			assertThat(thread.getName()).startsWith("locksmith-on-lost");
		});
	}

	@Test
	void withoutVirtualThreadsOnLostCallbacksRunOnPlatformDaemonThreads() {
		this.contextRunner.run((context) -> {
			Thread thread = threadOfOnLost(context.getBean(LockEngine.class));
			assertThat(isVirtual(thread)).isFalse();
			assertThat(thread.isDaemon()).isTrue();
		});
	}

	@Test
	void anApplicationThreadFactoryMakesTheThreadsOfTheEngineAndOfLeaderElection() {
		this.contextRunner.withUserConfiguration(OwnThreads.class)
			.withConfiguration(AutoConfigurations.of(LeaderElectionAutoConfiguration.class))
			.withPropertyValues("locksmith.leader.enabled=true", "locksmith.leader.name=threads")
			.run((context) -> {
				assertThat(threadOfOnLost(context.getBean(LockEngine.class)).getThreadGroup())
					.isSameAs(OwnThreads.GROUP);
				assertThat(OwnThreads.GRANTED.get(30, TimeUnit.SECONDS)).as("thread group of the leader listener")
					.isSameAs(OwnThreads.GROUP);
			});
	}

	/** Loses a lease (its TTL runs out without auto-extension) and returns the thread its onLost ran on. */
	private static Thread threadOfOnLost(LockEngine engine) throws Exception {
		CompletableFuture<Thread> ranOn = new CompletableFuture<>();
		LockHandle handle = engine.acquire("threads", LockOptions.ttl(Duration.ofMillis(50)).withAutoExtend(false));
		handle.onLost(() -> ranOn.complete(Thread.currentThread()));
		return ranOn.get(30, TimeUnit.SECONDS);
	}

	private static boolean isVirtual(Thread thread) throws ReflectiveOperationException {
		if (Runtime.version().feature() < 21) {
			return false;
		}
		return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
	}

	@Configuration(proxyBeanMethods = false)
	static class OwnThreads {

		static final ThreadGroup GROUP = new ThreadGroup("own");

		static final CompletableFuture<ThreadGroup> GRANTED = new CompletableFuture<>();

		@Bean
		LeaderListener grantedListener() {
			return new LeaderListener() {

				@Override
				public void granted(Leadership leadership) {
					GRANTED.complete(Thread.currentThread().getThreadGroup());
				}

			};
		}

		@Bean(LocksmithAutoConfiguration.THREAD_FACTORY_BEAN_NAME)
		ThreadFactory locksmithThreadFactory() {
			return (runnable) -> {
				Thread thread = new Thread(GROUP, runnable);
				thread.setDaemon(true);
				return thread;
			};
		}

	}

}
