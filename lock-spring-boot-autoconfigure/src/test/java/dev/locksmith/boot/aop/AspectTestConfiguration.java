package dev.locksmith.boot.aop;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.Awaitility;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AliasFor;

import dev.locksmith.LockContext;
import dev.locksmith.LockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.AutoExtend;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;
import dev.locksmith.boot.annotation.OnLocked;
import dev.locksmith.boot.annotation.OnLost;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

/**
 * Beans with {@code @DistributedLock} methods for the aspect tests.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration({ AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
		DistributedLockAutoConfiguration.class })
class AspectTestConfiguration {

	@Bean
	LockedService lockedService(MutexService locks) {
		return new LockedService(locks);
	}

	@Bean
	Outer outer(Inner inner) {
		return new Outer(inner);
	}

	@Bean
	Inner inner() {
		return new Inner();
	}

	@Bean
	Greeter greeter() {
		return new GreeterImpl();
	}

	@Bean
	Keys keys() {
		return new Keys();
	}

	@Bean
	ReactiveService reactiveService(MutexService locks) {
		return new ReactiveService(locks);
	}

	/** A composed annotation. */
	@Target(ElementType.METHOD)
	@Retention(RetentionPolicy.RUNTIME)
	@DistributedLock(name = "user-lock", ttl = "20s")
	@interface UserLock {

		@AliasFor(annotation = DistributedLock.class, attribute = "key")
		String value();

	}

	/** Builds keys for {@code @keys} references. */
	public static class Keys {

		public String forUser(String id) {
			return "u-" + id;
		}

	}

	/** What a locked method saw. */
	public record Seen(String key, String name, long token, boolean locked) {

		static Seen now(MutexService locks) {
			LockHandle handle = LockContext.current().orElseThrow();
			return new Seen(handle.key(), handle.name(), handle.fencingToken(), locks.isLocked(handle.key()));
		}

	}

	public static class LockedService {

		final MutexService locks;

		final AtomicInteger calls = new AtomicInteger();

		final AtomicReference<String> interruption = new AtomicReference<>();

		volatile int counter;

		LockedService(MutexService locks) {
			this.locks = locks;
		}

		// accessors: tests talk to the CGLIB proxy, whose own fields are unset

		public AtomicInteger calls() {
			return this.calls;
		}

		public AtomicReference<String> interruption() {
			return this.interruption;
		}

		public int counter() {
			return this.counter;
		}

		public void resetCounter() {
			this.counter = 0;
		}

		@DistributedLock(key = "'user:' + #userId")
		public Seen byName(String userId) {
			return Seen.now(this.locks);
		}

		@DistributedLock(key = "'p:' + #p0 + ':' + #root.methodName", name = "positional")
		public Seen positional(String id) {
			return Seen.now(this.locks);
		}

		@DistributedLock("@keys.forUser(#userId)")
		public Seen beanReference(String userId) {
			return Seen.now(this.locks);
		}

		@DistributedLock(key = "#userId")
		public void nullable(String userId) {
			this.calls.incrementAndGet();
		}

		@DistributedLock(key = "'token:' + #id")
		public long[] token(String id, @FencingToken long token) {
			return new long[] { token, LockContext.currentToken() };
		}

		@DistributedLock(key = "'fixed'", ttl = "${test.short-ttl}")
		public String fixedLease() {
			LockHandle handle = LockContext.current().orElseThrow();
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !handle.isValid());
			return "done";
		}

		@DistributedLock(key = "'extended'", ttl = "${test.short-ttl}", autoExtend = AutoExtend.TRUE)
		public long extended() {
			LockHandle handle = LockContext.current().orElseThrow();
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> handle.renewals() >= 2);
			return handle.isValid() ? handle.renewals() : -1;
		}

		@DistributedLock(key = "'interrupted'", ttl = "${test.short-ttl}", onLost = OnLost.INTERRUPT)
		public String interruptible() {
			try {
				new CountDownLatch(1).await(10, TimeUnit.SECONDS);
				this.interruption.set("not interrupted");
			}
			catch (InterruptedException ex) {
				this.interruption.set("interrupted");
			}
			return "returned";
		}

		@DistributedLock(key = "'busy'", waitTime = "200ms")
		public String waitBriefly() {
			this.calls.incrementAndGet();
			return "ran";
		}

		@DistributedLock(key = "'busy'", waitTime = "5s")
		public String waitLong() {
			this.calls.incrementAndGet();
			return "ran";
		}

		@DistributedLock(key = "'busy'", waitTime = "5s", retryMaxAttempts = "1")
		public String oneAttempt() {
			this.calls.incrementAndGet();
			return "ran";
		}

		@DistributedLock(key = "'busy'", onLocked = OnLocked.SKIP)
		public Optional<String> skipOptional() {
			this.calls.incrementAndGet();
			return Optional.of("ran");
		}

		@DistributedLock(key = "'busy'", onLocked = OnLocked.SKIP)
		public int skipInt() {
			this.calls.incrementAndGet();
			return 42;
		}

		@DistributedLock(key = "'busy'", onLocked = OnLocked.SKIP)
		public String skipString() {
			this.calls.incrementAndGet();
			return "ran";
		}

		@DistributedLock(key = "'busy'", onLocked = OnLocked.THROW)
		public String throwAtOnce() {
			this.calls.incrementAndGet();
			return "ran";
		}

		@DistributedLock(key = "'min-hold'", minHold = "${test.min-hold}")
		public void minHold() {
			this.calls.incrementAndGet();
		}

		@UserLock("'composed:' + #id")
		public Seen composed(String id) {
			return Seen.now(this.locks);
		}

		@DistributedLock(key = "'counter'")
		public void increment() {
			int read = this.counter;
			Thread.yield();
			this.counter = read + 1;
		}

		@DistributedLock(key = "#builder.toString()")
		public void mutateKey(StringBuilder builder) {
			builder.append("-changed");
		}

		@DistributedLock(key = "'failing'")
		public void failing() {
			throw new IllegalStateException("boom");
		}

	}

	public static class Outer {

		private final Inner inner;

		Outer(Inner inner) {
			this.inner = inner;
		}

		@DistributedLock(key = "'nested:' + #id")
		public long[] sameKey(String id, @FencingToken long token) {
			return new long[] { token, this.inner.sameKey(id, -1) };
		}

		@DistributedLock(key = "'nested:' + #id")
		public long[] otherKey(String id, @FencingToken long token) {
			return new long[] { token, this.inner.otherKey(id, -1) };
		}

	}

	public static class Inner {

		@DistributedLock(key = "'nested:' + #id")
		public long sameKey(String id, @FencingToken long token) {
			return token;
		}

		@DistributedLock(key = "'other:' + #id")
		public long otherKey(String id, @FencingToken long token) {
			return token;
		}

	}

	public interface Greeter {

		@DistributedLock(key = "'greet:' + #name")
		Seen greet(String name);

		@DistributedLock(key = "'greet-token'")
		long token(@FencingToken long token);

	}

	public static class GreeterImpl implements Greeter {

		@Autowired
		private MutexService locks;

		@Override
		public Seen greet(String name) {
			return Seen.now(this.locks);
		}

		@Override
		public long token(long token) {
			return token;
		}

	}

	public static class ReactiveService {

		final MutexService locks;

		final AtomicInteger subscriptions = new AtomicInteger();

		volatile CompletableFuture<String> pending = new CompletableFuture<>();

		ReactiveService(MutexService locks) {
			this.locks = locks;
		}

		public AtomicInteger subscriptions() {
			return this.subscriptions;
		}

		public CompletableFuture<String> pending() {
			return this.pending;
		}

		@DistributedLock(key = "'mono:' + #id")
		public Mono<Long> mono(String id, @FencingToken long token) {
			this.subscriptions.incrementAndGet();
			return Mono.fromCallable(() -> this.locks.isLocked("mono:" + id) ? token : -1L);
		}

		@DistributedLock(key = "'flux'")
		public Flux<Boolean> flux() {
			return Flux.range(0, 3).map((i) -> this.locks.isLocked("flux"));
		}

		@DistributedLock(key = "'never'")
		public Flux<Long> never() {
			return Flux.never();
		}

		@DistributedLock(key = "'busy'", onLocked = OnLocked.SKIP)
		public Mono<String> skipMono() {
			return Mono.just("ran");
		}

		@DistributedLock(key = "'future'")
		public CompletableFuture<String> future() {
			this.pending = new CompletableFuture<>();
			return this.pending;
		}

		@DistributedLock(key = "'future-lost'", ttl = "${test.short-ttl}", onLost = OnLost.INTERRUPT)
		public CompletableFuture<String> futureOutlivingItsLease() {
			this.pending = new CompletableFuture<>();
			return this.pending;
		}

		@DistributedLock(key = "'busy'", onLocked = OnLocked.SKIP)
		public CompletableFuture<String> skipFuture() {
			return CompletableFuture.completedFuture("ran");
		}

		@DistributedLock(key = "'mono-lost'", ttl = "${test.short-ttl}")
		public Mono<String> monoOutlivingItsLease() {
			LockHandle handle = LockContext.current().orElseThrow();
			return Mono.fromCallable(() -> {
				Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !handle.isValid());
				return "done";
			});
		}

	}

}
