package dev.locksmith.boot.aop;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.Backoff;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * An invalid {@code @DistributedLock} fails startup, naming the method and attribute.
 */
class InvalidAnnotationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class));

	@Test
	void emptyKey() {
		this.contextRunner.withBean(NoKey.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("InvalidAnnotationTests$NoKey.run()")
				.hasStackTraceContaining("key expression must not be empty"));
	}

	@Test
	void keyThatDoesNotParse() {
		this.contextRunner.withBean(BadSpel.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("BadSpel.run(String)")
				.hasStackTraceContaining("'user:' + #id +"));
	}

	@Test
	void durationThatDoesNotParse() {
		this.contextRunner.withBean(BadTtl.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("BadTtl.run()")
				.hasStackTraceContaining("ttl = \"banana\""));
	}

	@Test
	void bareNumberIsRefusedBecauseItsUnitIsAmbiguous() {
		// the CLI and the lock service read "30" as seconds, Boot properties as milliseconds: refuse, never guess
		this.contextRunner.withBean(BareTtl.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("BareTtl.run()")
				.hasStackTraceContaining("ttl = \"30\" has no unit (write 30s or 30ms)"));
	}

	@Test
	void kotlinSuspendFunctionIsRefusedAtStartup() {
		// a suspend function compiles to a method taking the caller's Continuation and returning at its
		// first suspension: the lock would be released before the coroutine body has run
		this.contextRunner.withBean(SuspendFunction.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("SuspendFunction.run(String, Continuation)")
				.hasStackTraceContaining("Kotlin suspend functions are not supported"));
	}

	@Test
	void durationsFollowTheSharedGrammar() throws Exception {
		LockOperationSource source = new LockOperationSource(null, Backoff::defaults);
		LockOperation operation = source.get(SharedGrammar.class.getMethod("run"), SharedGrammar.class);
		assertThat(operation.options.ttl()).isEqualTo(java.time.Duration.ofMinutes(10));
		assertThat(operation.options.waitTime()).isEqualTo(java.time.Duration.ofMillis(1500));
	}

	@Test
	void placeholderThatResolvesToANegativeWaitTime() {
		this.contextRunner.withBean(PlaceholderWait.class)
			.withPropertyValues("jobs.wait=-1s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("PlaceholderWait.run()")
				.hasStackTraceContaining("waitTime"));
		this.contextRunner.withBean(PlaceholderWait.class)
			.withPropertyValues("jobs.wait=2s")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void retryOutOfRange() {
		this.contextRunner.withBean(BadRetry.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("BadRetry.run()")
				.hasStackTraceContaining("multiplier"));
	}

	@Test
	void fencingTokenOnANonLongParameter() {
		this.contextRunner.withBean(BadToken.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("BadToken.run(String)")
				.hasStackTraceContaining("@FencingToken parameter #0 must be a long"));
	}

	@Test
	void sourceReportsTheSameErrorsWithoutSpring() throws Exception {
		LockOperationSource source = new LockOperationSource(null, Backoff::defaults);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> source.get(BadTtl.class.getMethod("run"), BadTtl.class))
			.withMessageContaining("ttl = \"banana\"");
	}

	public static class NoKey {

		@DistributedLock(name = "no-key")
		public void run() {
		}

	}

	public static class BadSpel {

		@DistributedLock(key = "'user:' + #id +")
		public void run(String id) {
		}

	}

	public static class BadTtl {

		@DistributedLock(key = "'job'", ttl = "banana")
		public void run() {
		}

	}

	public static class BareTtl {

		@DistributedLock(key = "'job'", ttl = "30")
		public void run() {
		}

	}

	public static class SharedGrammar {

		@DistributedLock(key = "'job'", ttl = "10M", waitTime = "PT1.5S")
		public void run() {
		}

	}

	public static class PlaceholderWait {

		@DistributedLock(key = "'job'", waitTime = "${jobs.wait}")
		public void run() {
		}

	}

	public static class BadRetry {

		@DistributedLock(key = "'job'", retryMultiplier = "0.5")
		public void run() {
		}

	}

	public static class BadToken {

		@DistributedLock(key = "'job'")
		public void run(@FencingToken String token) {
		}

	}

	/** What the Kotlin compiler makes of {@code @DistributedLock suspend fun run(id: String): Any?}. */
	static class SuspendFunction {

		@DistributedLock(key = "#p0")
		public Object run(String id, kotlin.coroutines.Continuation<? super Object> continuation) {
			return "COROUTINE_SUSPENDED";
		}

	}

}
