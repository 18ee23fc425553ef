package dev.locksmith.boot.aop;

import java.lang.reflect.Method;

import org.springframework.aop.ClassFilter;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.core.annotation.AnnotationUtils;

import dev.locksmith.boot.annotation.DistributedLock;

/**
 * Matches methods with {@link DistributedLock @DistributedLock} (directly, as a meta-annotation, or on an
 * interface or superclass method). Matching resolves the annotation through the {@link LockOperationSource},
 * so an invalid annotation (empty key, bad SpEL, bad duration, wrong {@code @FencingToken} type) fails when
 * the bean's proxy is created, at startup, with a message naming the method and attribute.
 */
public final class DistributedLockPointcut extends StaticMethodMatcherPointcut {

	private final LockOperationSource operations;

	/**
	 * Creates the pointcut.
	 * @param operations resolves and caches annotation metadata
	 */
	public DistributedLockPointcut(LockOperationSource operations) {
		this.operations = operations;
		setClassFilter(new CandidateClassFilter());
	}

	@Override
	public boolean matches(Method method, Class<?> targetClass) {
		return this.operations.get(method, targetClass) != null;
	}

	private static final class CandidateClassFilter implements ClassFilter {

		@Override
		public boolean matches(Class<?> type) {
			return AnnotationUtils.isCandidateClass(type, DistributedLock.class);
		}

	}

}
