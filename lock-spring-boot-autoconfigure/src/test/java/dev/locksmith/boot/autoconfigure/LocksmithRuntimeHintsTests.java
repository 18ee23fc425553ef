package dev.locksmith.boot.autoconfigure;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.GeneratedFiles.Kind;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.AotServices;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.core.io.InputStreamSource;
import org.springframework.javapoet.ClassName;

import dev.locksmith.boot.actuate.LocksEndpoint;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.aop.LockExpressionRootObject;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter's runtime hints (what it reads by reflection) and Spring's AOT processing of an application
 * that uses it. A native build is not possible here; this checks the hints and that AOT processing runs
 * (proxies for {@code @DistributedLock} beans generated ahead of time, the hints applied).
 */
class LocksmithRuntimeHintsTests {

	@Test
	void registersWhatTheStarterReadsByReflection() {
		RuntimeHints hints = new RuntimeHints();
		new LocksmithRuntimeHints().registerHints(hints, getClass().getClassLoader());
		assertThat(RuntimeHintsPredicates.reflection()
			.onType(DistributedLock.class)
			.withMemberCategory(MemberCategory.INVOKE_DECLARED_METHODS)).accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(LockExpressionRootObject.class, "getArgs"))
			.accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(LocksmithProperties.class, "setKeyPrefix"))
			.accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onType(LocksmithProperties.Retry.class)).accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(LocksEndpoint.HeldLocksDescriptor.class, "locks")).accepts(hints);
		assertThat(RuntimeHintsPredicates.resource().forResource("dev/locksmith/provider/jdbc/schema-postgresql.sql"))
			.accepts(hints);
	}

	@Test
	void isRegisteredInAotFactories() {
		assertThat(AotServices.factories().load(RuntimeHintsRegistrar.class))
			.hasAtLeastOneElementOfType(LocksmithRuntimeHints.class);
	}

	@Test
	void aotProcessingOfAnApplicationWithTheStarterGeneratesTheProxyAndAppliesTheHints() {
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		context.register(AotApplication.class);
		InMemoryGeneratedFiles files = new InMemoryGeneratedFiles();
		DefaultGenerationContext generation = new DefaultGenerationContext(
				new ClassNameGenerator(ClassName.get("com.example", "LockedApplication")), files);
		new ApplicationContextAotGenerator().processAheadOfTime(context, generation);
		generation.writeGeneratedContent();
		Map<String, InputStreamSource> classes = files.getGeneratedFiles(Kind.CLASS);
		assertThat(classes.keySet()).as("the @DistributedLock bean's proxy, generated ahead of time")
			.anyMatch((name) -> name.contains("LockedJob$$SpringCGLIB$$"));
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(LockExpressionRootObject.class, "getArgs"))
			.accepts(generation.getRuntimeHints());
		assertThat(RuntimeHintsPredicates.resource().forResource("dev/locksmith/provider/jdbc/schema-h2.sql"))
			.accepts(generation.getRuntimeHints());
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
			DistributedLockAutoConfiguration.class })
	static class AotApplication {

		@Bean
		LockedJob lockedJob() {
			return new LockedJob();
		}

	}

	static class LockedJob {

		@DistributedLock(key = "'job:' + #p0")
		public String run(String id) {
			return id;
		}

	}

}
