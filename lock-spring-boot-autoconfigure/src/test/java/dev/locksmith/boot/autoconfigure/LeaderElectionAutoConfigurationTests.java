package dev.locksmith.boot.autoconfigure;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.jayway.jsonpath.JsonPath;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;

import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.LocksEndpoint;
import dev.locksmith.boot.actuate.LocksEndpoint.LeaderDescriptor;
import dev.locksmith.boot.leader.LeaderElectionHealthIndicator;
import dev.locksmith.boot.leader.LeaderElectionLifecycle;
import dev.locksmith.boot.leader.LeaderGrantedEvent;
import dev.locksmith.boot.leader.LeaderMetrics;
import dev.locksmith.boot.leader.LeaderOnly;
import dev.locksmith.boot.leader.LeaderRevokedEvent;
import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.LeaderListener;
import dev.locksmith.leader.Leadership;
import dev.locksmith.leader.RevocationReason;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * {@link LeaderElectionAutoConfiguration} on the in-memory provider.
 */
class LeaderElectionAutoConfigurationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class, LocksmithMetricsAutoConfiguration.class,
				LocksEndpointAutoConfiguration.class, LocksmithHealthContributorAutoConfiguration.class,
				LeaderElectionAutoConfiguration.class));

	@Test
	void offByDefault() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(LeaderElection.class)
			.doesNotHaveBean(LeaderElectionLifecycle.class));
	}

	@Test
	void propertyDefaultsEqualTheLibraryDefaults() {
		LocksmithLeaderProperties properties = new LocksmithLeaderProperties();
		assertThat(properties.isEnabled()).isFalse();
		assertThat(properties.isAutoStart()).isTrue();
		assertThat(properties.getYieldDelay()).isEqualTo(Duration.ofMillis(LeaderElection.DEFAULT_YIELD_DELAY_MILLIS));
	}

	@Test
	void startsWithTheContextPublishesEventsAndReleasesOnClose() {
		EventRecorder recorder = new EventRecorder();
		LeaderElection[] election = new LeaderElection[1];
		this.contextRunner.withPropertyValues("locksmith.leader.enabled=true", "spring.application.name=billing")
			.withBean(EventRecorder.class, () -> recorder)
			.run((context) -> {
				assertThat(context).hasSingleBean(LeaderElection.class).hasSingleBean(LeaderElectionLifecycle.class);
				election[0] = context.getBean(LeaderElection.class);
				assertThat(election[0].name()).isEqualTo("billing");
				await().atMost(TIMEOUT).until(election[0]::isLeader);
				await().atMost(TIMEOUT).until(() -> !recorder.events.isEmpty());
				LeaderGrantedEvent granted = (LeaderGrantedEvent) recorder.events.get(0);
				assertThat(granted.getLeadership()).isEqualTo(election[0].leadership().orElseThrow());
				assertThat(context.getBean(MutexService.class).isLocked("leader:billing")).isTrue();
			});
		assertThat(election[0].isRunning()).isFalse();
		assertThat(recorder.events).hasSize(2);
		LeaderRevokedEvent revoked = (LeaderRevokedEvent) recorder.events.get(1);
		assertThat(revoked.getReason()).as("told before the context finished closing").isEqualTo(RevocationReason.STOPPED);
	}

	@Test
	void propertiesConfigureTheElectionAndListenerBeansAreTold() {
		List<Leadership> granted = new CopyOnWriteArrayList<>();
		this.contextRunner
			.withPropertyValues("locksmith.leader.enabled=true", "locksmith.leader.name=reports",
					"locksmith.leader.auto-start=false", "locksmith.leader.ttl=5s")
			.withBean(LeaderListener.class, () -> new LeaderListener() {
				@Override
				public void granted(Leadership leadership) {
					granted.add(leadership);
				}
			})
			.run((context) -> {
				LeaderElection election = context.getBean(LeaderElection.class);
				assertThat(election.name()).isEqualTo("reports");
				assertThat(election.isRunning()).isFalse();
				election.start();
				await().atMost(TIMEOUT).until(() -> granted.size() == 1);
				assertThat(context.getBean(MutexService.class).heldLocks())
					.anySatisfy((handle) -> assertThat(handle.remaining()).isLessThanOrEqualTo(Duration.ofSeconds(5)));
			});
	}

	@Test
	void leaderOnlyMethodsRunOnlyOnTheLeader() {
		this.contextRunner.withPropertyValues("locksmith.leader.enabled=true", "locksmith.leader.auto-start=false")
			.withBean(Job.class)
			.run((context) -> {
				Job job = context.getBean(Job.class);
				LeaderElection election = context.getBean(LeaderElection.class);
				assertThat(job.run()).isNull();
				assertThat(job.runs()).isEqualTo(0);
				election.start();
				await().atMost(TIMEOUT).until(election::isLeader);
				assertThat(job.run()).isEqualTo("ran");
				assertThat(job.runs()).isEqualTo(1);
				assertThatIllegalStateException().isThrownBy(job::other).withMessageContaining("'other'");
				assertThatIllegalStateException().isThrownBy(job::count).withMessageContaining("int");
				election.stop();
				assertThat(job.run()).isNull();
				assertThat(job.runs()).isEqualTo(1);
			});
	}

	@Test
	void metersShowLeadershipAndCountTransitions() {
		this.contextRunner.withPropertyValues("locksmith.leader.enabled=true", "locksmith.leader.name=jobs")
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> {
				assertThat(context).hasSingleBean(LeaderMetrics.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				await().atMost(TIMEOUT)
					.until(() -> registry.find(LeaderMetrics.LEADER).tag("name", "jobs").gauge().value() == 1.0);
				await().atMost(TIMEOUT)
					.until(() -> registry.find(LeaderMetrics.TRANSITIONS).tag("transition", "granted").counter() != null);
				context.getBean(LeaderElection.class).yield();
				await().atMost(TIMEOUT)
					.until(() -> registry.find(LeaderMetrics.TRANSITIONS).tag("reason", "released").counter() != null);
				assertThat(registry.find(LeaderMetrics.TRANSITIONS).tag("reason", "released").counter().count())
					.isEqualTo(1.0);
			});
	}

	@Test
	void healthAndLocksEndpointShowLeadership() {
		this.contextRunner
			.withPropertyValues("locksmith.leader.enabled=true", "locksmith.leader.name=jobs",
					"management.endpoints.web.exposure.include=locks")
			.run((context) -> {
				LeaderElection election = context.getBean(LeaderElection.class);
				await().atMost(TIMEOUT).until(election::isLeader);
				long term = election.leadership().orElseThrow().term();
				Health health = context.getBean(LeaderElectionHealthIndicator.class).health();
				assertThat(health.getStatus()).isEqualTo(Status.UP);
				assertThat(health.getDetails()).containsEntry("jobs",
						Map.of("running", true, "leader", true, "term", term));
				List<LeaderDescriptor> leaders = context.getBean(LocksEndpoint.class).locks().leaders();
				assertThat(leaders).containsExactly(new LeaderDescriptor("jobs", "leader:jobs", true, true, term));
			});
	}

	@Test
	void anApplicationWithTwoElectionsOfItsOwnStartsAndLeaderOnlyPicksByName() {
		this.contextRunner
			.withPropertyValues("locksmith.leader.enabled=true", "locksmith.leader.auto-start=false")
			.withUserConfiguration(TwoElections.class)
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean(Job.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LeaderElection other = context.getBean("otherElection", LeaderElection.class);
				other.start();
				await().atMost(TIMEOUT).until(other::isLeader);
				context.getBean(Job.class).other();
				assertThat(context.getBean(LeaderElectionHealthIndicator.class).health().getDetails())
					.containsKeys("other", "billing");
			});
	}

	@org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
	static class TwoElections {

		@org.springframework.context.annotation.Bean
		LeaderElection otherElection(MutexService locks) {
			return LeaderElection.builder(locks, "other").build();
		}

		@org.springframework.context.annotation.Bean
		LeaderElection billingElection(MutexService locks) {
			return LeaderElection.builder(locks, "billing").build();
		}

	}

	@Test
	void metadataDescribesTheLeaderProperties() throws Exception {
		String json;
		try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		List<Map<String, Object>> properties = JsonPath.read(json,
				"$.properties[?(@.name =~ /locksmith\\.leader\\..*/)]");
		assertThat(properties).extracting((property) -> property.get("name"))
			.containsExactlyInAnyOrder("locksmith.leader.enabled", "locksmith.leader.name",
					"locksmith.leader.auto-start", "locksmith.leader.ttl", "locksmith.leader.yield-delay");
		assertThat(properties).allSatisfy((property) -> assertThat((String) property.get("description")).isNotBlank());
	}

	/** Records leader events, across the context's close. */
	static class EventRecorder implements ApplicationListener<ApplicationEvent> {

		final List<ApplicationEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(ApplicationEvent event) {
			if (event instanceof LeaderGrantedEvent || event instanceof LeaderRevokedEvent) {
				this.events.add(event);
			}
		}

	}

	/** A bean with leader-only methods. */
	static class Job {

		private final AtomicInteger runs = new AtomicInteger();

		public int runs() {
			return this.runs.get();
		}

		@LeaderOnly
		public String run() {
			this.runs.incrementAndGet();
			return "ran";
		}

		@LeaderOnly("other")
		public void other() {
		}

		@LeaderOnly
		public int count() {
			return 1;
		}

	}

}
