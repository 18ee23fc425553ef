package dev.locksmith.boot.event;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lock events as Spring application events (issue 19, item 12): opt-in, one event type per lock event,
 * a loss published off the renewal thread.
 */
class LockApplicationEventTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class))
		.withBean(Recorder.class);

	@Test
	void disabledByDefault() {
		this.contextRunner.run((context) -> {
			assertThat(context).doesNotHaveBean(LockApplicationEventPublisher.class);
			context.getBean(MutexService.class).withLock("k", () -> null);
			assertThat(context.getBean(Recorder.class).events).isEmpty();
		});
	}

	@Test
	void acquiredReleasedAndNotAcquiredArePublishedOnTheCallersThread() {
		this.contextRunner.withPropertyValues("locksmith.events.enabled=true").run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			Recorder recorder = context.getBean(Recorder.class);
			locks.withLock("orders:1", LockOptions.defaults().withName("orders"), () -> null);
			LockHandle other = CompletableFuture.supplyAsync(() -> locks.acquire("busy")).join();
			assertThat(locks.tryAcquire("busy")).isEmpty();
			other.release();
			assertThat(recorder.events).extracting((event) -> event.getClass().getSimpleName() + " " + event.getKey())
				.containsExactly("LockAcquiredEvent orders:1", "LockReleasedEvent orders:1", "LockAcquiredEvent busy",
						"LockNotAcquiredEvent busy", "LockReleasedEvent busy");
			assertThat(recorder.events.get(0).getName()).isEqualTo("orders");
			assertThat(recorder.events.get(0).getHandle()).isNotNull();
			assertThat(((LockNotAcquiredEvent) recorder.events.get(3)).getError()).isNull();
			assertThat(recorder.threads.get(0)).isEqualTo(Thread.currentThread().getName());
		});
	}

	@Test
	void aLossIsPublishedOffTheRenewalThread() {
		this.contextRunner.withPropertyValues("locksmith.events.enabled=true").run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			Recorder recorder = context.getBean(Recorder.class);
			LockHandle handle = locks.acquire("short", LockOptions.ttl(Duration.ofMillis(200)));
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> recorder.events.stream().anyMatch(LockLostEvent.class::isInstance));
			int lost = recorder.events.indexOf(
					recorder.events.stream().filter(LockLostEvent.class::isInstance).findFirst().orElseThrow());
			assertThat(recorder.events.get(lost).getHandle()).isSameAs(handle);
			assertThat(recorder.threads.get(lost)).as("published on the callback executor")
				.doesNotStartWith("locksmith-renewal")
				.isNotEqualTo(Thread.currentThread().getName());
			assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
		});
	}

	/** Records every lock application event and the thread it was published on. */
	static class Recorder implements ApplicationListener<LockApplicationEvent> {

		final List<LockApplicationEvent> events = new CopyOnWriteArrayList<>();

		final List<String> threads = new CopyOnWriteArrayList<>();

		@Override
		public synchronized void onApplicationEvent(LockApplicationEvent event) {
			this.threads.add(Thread.currentThread().getName());
			this.events.add(event);
		}

	}

}
