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
		return evaluate(operation, operation.keyExpression, operation.keySource, context(operation, args, target,
				targetClass));
	}

	/**
	 * Evaluates the keys of a multi-key operation for one call, in declaration order.
	 * @throws IllegalArgumentException if an evaluation fails or yields null or a blank string
	 */
	java.util.List<String> keys(LockOperation operation, @Nullable Object[] args, @Nullable Object target,
			Class<?> targetClass) {
		MethodBasedEvaluationContext context = context(operation, args, target, targetClass);
		java.util.List<String> keys = new java.util.ArrayList<>(operation.keyExpressions.size());
		for (int i = 0; i < operation.keyExpressions.size(); i++) {
			keys.add(evaluate(operation, operation.keyExpressions.get(i), operation.keySources.get(i), context));
		}
		return keys;
	}

	private MethodBasedEvaluationContext context(LockOperation operation, @Nullable Object[] args,
			@Nullable Object target, Class<?> targetClass) {
		LockExpressionRootObject root = new LockExpressionRootObject(operation.targetMethod, args, target,
				targetClass);
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(root, operation.targetMethod, args,
				getParameterNameDiscoverer());
		if (this.beanResolver != null) {
			context.setBeanResolver(this.beanResolver);
		}
		return context;
	}

	private static String evaluate(LockOperation operation, Expression expression, String source,
			MethodBasedEvaluationContext context) {
		Object value;
		try {
			value = expression.getValue(context);
		}
		catch (EvaluationException ex) {
			throw new IllegalArgumentException(operation.description + ": key expression '" + source
					+ "' could not be evaluated: " + ex.getMessage(), ex);
		}
		String key = (value != null) ? value.toString() : null;
		if (key == null || key.isBlank()) {
			throw new IllegalArgumentException(operation.description + ": key expression '" + source
					+ "' evaluated to " + ((key == null) ? "null" : "a blank string")
					+ "; a lock key must not be empty");
		}
		return key;
	}

}
