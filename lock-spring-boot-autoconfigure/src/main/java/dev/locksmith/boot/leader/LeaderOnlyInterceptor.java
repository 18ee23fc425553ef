package dev.locksmith.boot.leader;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.MethodClassKey;
import org.springframework.core.annotation.AnnotatedElementUtils;

import dev.locksmith.leader.LeaderElection;

/**
 * The advice behind {@link LeaderOnly @LeaderOnly}: proceeds while the method's election says this
 * application is leader, otherwise skips the call (returning {@code null}, or an empty {@link Optional}).
 * The election of each method is resolved once per method and target class.
 */
public class LeaderOnlyInterceptor implements MethodInterceptor {

	private static final Logger logger = LoggerFactory.getLogger(LeaderOnlyInterceptor.class);

	private final Supplier<List<LeaderElection>> elections;

	private final Map<MethodClassKey, LeaderElection> cache = new ConcurrentHashMap<>();

	/**
	 * Creates the interceptor.
	 * @param elections the application's elections, looked up on first use
	 */
	public LeaderOnlyInterceptor(Supplier<List<LeaderElection>> elections) {
		this.elections = elections;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Method method = invocation.getMethod();
		Object target = invocation.getThis();
		Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target) : method.getDeclaringClass();
		LeaderElection election = this.cache.computeIfAbsent(new MethodClassKey(method, targetClass),
				(key) -> resolve(method, targetClass));
		if (election.isLeader()) {
			return invocation.proceed();
		}
		logger.debug("Skipped {}: not leader of election '{}'", method, election.name());
		return (method.getReturnType() == Optional.class) ? Optional.empty() : null;
	}

	private LeaderElection resolve(Method method, Class<?> targetClass) {
		Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
		LeaderOnly annotation = AnnotatedElementUtils.findMergedAnnotation(specific, LeaderOnly.class);
		if (annotation == null) {
			annotation = AnnotatedElementUtils.findMergedAnnotation(method, LeaderOnly.class);
		}
		String name = (annotation != null) ? annotation.value() : "";
		Class<?> returnType = method.getReturnType();
		if (returnType.isPrimitive() && returnType != void.class) {
			throw new IllegalStateException("@LeaderOnly method " + specific + " returns " + returnType
					+ ", which cannot be skipped; return void or an object");
		}
		List<LeaderElection> all = this.elections.get();
		if (name.isEmpty()) {
			if (all.size() != 1) {
				throw new IllegalStateException("@LeaderOnly on " + specific + " names no election, but there are "
						+ all.size() + " (set locksmith.leader.enabled=true, or name one)");
			}
			return all.get(0);
		}
		return all.stream()
			.filter((election) -> election.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("@LeaderOnly on " + specific + " names election '" + name
					+ "', which does not exist; elections: " + all.stream().map(LeaderElection::name).toList()));
	}

}
