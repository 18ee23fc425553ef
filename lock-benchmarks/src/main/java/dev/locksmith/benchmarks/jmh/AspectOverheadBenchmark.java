package dev.locksmith.benchmarks.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;

/**
 * The cost of {@code @DistributedLock} over calling {@link MutexService#withLock} directly, both on the
 * in-memory provider of one auto-configured application context (so the difference is the aspect: proxy,
 * cached SpEL key, options, reentrancy bookkeeping).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AspectOverheadBenchmark {

	private ConfigurableApplicationContext context;

	private MutexService locks;

	private LockedTarget target;

	private int argument;

	/** Starts the application context. */
	@Setup(Level.Trial)
	public void setUp() {
		this.context = new SpringApplicationBuilder(BenchmarkApplication.class).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties("locksmith.provider=memory")
			.run();
		this.locks = this.context.getBean(MutexService.class);
		this.target = this.context.getBean(LockedTarget.class);
	}

	/** Closes the context. */
	@TearDown(Level.Trial)
	public void tearDown() {
		this.context.close();
	}

	/**
	 * Direct call: {@code withLock("jmh:direct:" + n, ...)}.
	 * @return the action's result
	 */
	@Benchmark
	public int directWithLock() {
		int n = this.argument++ & 1023;
		return this.locks.withLock("jmh:direct:" + n, () -> n + 1);
	}

	/**
	 * The same through the aspect: {@code @DistributedLock(key = "'jmh:aspect:' + #n")}.
	 * @return the method's result
	 */
	@Benchmark
	public int aspectWithLock() {
		return this.target.work(this.argument++ & 1023);
	}

	/** A bean with one locked method. */
	public static class LockedTarget {

		/**
		 * Returns {@code n + 1} while holding the lock on {@code 'jmh:aspect:' + n}.
		 * @param n the key suffix
		 * @return {@code n + 1}
		 */
		@DistributedLock(key = "'jmh:aspect:' + #n")
		public int work(int n) {
			return n + 1;
		}

	}

	/** The benchmark's application: auto-configuration plus the locked bean. */
	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	public static class BenchmarkApplication {

		/**
		 * The locked bean.
		 * @return the target
		 */
		@Bean
		public LockedTarget lockedTarget() {
			return new LockedTarget();
		}

	}

}
