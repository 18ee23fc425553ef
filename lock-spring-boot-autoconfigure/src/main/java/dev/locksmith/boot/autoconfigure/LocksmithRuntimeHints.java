package dev.locksmith.boot.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.boot.context.properties.bind.BindableRuntimeHintsRegistrar;
import org.springframework.util.ClassUtils;

import dev.locksmith.boot.actuate.LocksEndpoint;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;
import dev.locksmith.boot.aop.LockExpressionRootObject;
import dev.locksmith.boot.leader.LeaderOnly;

/**
 * What the starter reads by reflection, for a native image or an AOT-processed application (registered in
 * {@code META-INF/spring/aot.factories}): the annotations it reads at proxy creation, the root object of
 * {@code @DistributedLock} key expressions (SpEL calls its getters), the properties it binds, the JDBC
 * schema scripts, and the actuator endpoint's responses (written as JSON).
 */
class LocksmithRuntimeHints implements RuntimeHintsRegistrar {

	static final String SCHEMA_SCRIPTS = "dev/locksmith/provider/jdbc/schema-*.sql";

	@Override
	public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
		for (Class<?> annotation : new Class<?>[] { DistributedLock.class, FencingToken.class, LeaderOnly.class }) {
			hints.reflection().registerType(annotation, MemberCategory.INVOKE_DECLARED_METHODS);
		}
		hints.reflection().registerType(LockExpressionRootObject.class, MemberCategory.INVOKE_PUBLIC_METHODS);
		BindableRuntimeHintsRegistrar
			.forTypes(LocksmithProperties.class, LocksmithJdbcProperties.class, LocksmithLeaderProperties.class)
			.registerHints(hints, classLoader);
		hints.resources().registerPattern(SCHEMA_SCRIPTS);
		if (ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.OperationResponseBody", classLoader)) {
			Endpoint.registerHints(hints);
		}
	}

	/** The endpoint's types, loaded only when the actuator is present. */
	private static final class Endpoint {

		static void registerHints(RuntimeHints hints) {
			new BindingReflectionHintsRegistrar().registerReflectionHints(hints.reflection(),
					LocksEndpoint.HeldLocksDescriptor.class, LocksEndpoint.LockDescriptor.class,
					LocksEndpoint.ForceReleaseDescriptor.class);
		}

	}

}
