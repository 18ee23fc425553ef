package dev.locksmith.boot.aop;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.CachedExpressionEvaluator;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;

/**
 * Parses {@code @DistributedLock} key expressions once per method, target class and expression, and
 * evaluates them against a call: arguments by name and as {@code #p0}/{@code #a0} (resolved lazily),
 * {@code #root} ({@link LockExpressionRootObject}) and {@code @bean} references.
 */
final class LockKeyEvaluator extends CachedExpressionEvaluator {

	private final Map<ExpressionKey, Expression> cache = new ConcurrentHashMap<>(64);

	private final @Nullable BeanFactoryResolver beanResolver;

	LockKeyEvaluator(@Nullable BeanFactory beanFactory) {
		this.beanResolver = (beanFactory != null) ? new BeanFactoryResolver(beanFactory) : null;
	}

	/**
	 * Parses (or returns the cached parse of) {@code expression} declared on {@code element}.
	 * @throws IllegalArgumentException if the expression does not parse
	 */
	Expression parse(AnnotatedElementKey element, String expression, String description) {
		try {
			return getExpression(this.cache, element, expression);
		}
		catch (ParseException ex) {
			throw new IllegalArgumentException(
					description + ": key expression '" + expression + "' is not valid SpEL: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Evaluates the operation's key for one call.
	 * @throws IllegalArgumentException if evaluation fails or yields null or a blank string
	 */
	String key(LockOperation operation, @Nullable Object[] args, @Nullable Object target, Class<?> targetClass) {
		LockExpressionRootObject root = new LockExpressionRootObject(operation.targetMethod, args, target,
				targetClass);
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(root, operation.targetMethod, args,
				getParameterNameDiscoverer());
		if (this.beanResolver != null) {
			context.setBeanResolver(this.beanResolver);
		}
		Object value;
		try {
			value = operation.keyExpression.getValue(context);
		}
		catch (EvaluationException ex) {
			throw new IllegalArgumentException(operation.description + ": key expression '" + operation.keySource
					+ "' could not be evaluated: " + ex.getMessage(), ex);
		}
		String key = (value != null) ? value.toString() : null;
		if (key == null || key.isBlank()) {
			throw new IllegalArgumentException(operation.description + ": key expression '" + operation.keySource
					+ "' evaluated to " + ((key == null) ? "null" : "a blank string")
					+ "; a lock key must not be empty");
		}
		return key;
	}

}
