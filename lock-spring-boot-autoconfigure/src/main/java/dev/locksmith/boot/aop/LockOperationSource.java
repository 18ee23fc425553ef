package dev.locksmith.boot.aop;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.config.EmbeddedValueResolver;
import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.core.BridgeMethodResolver;
import org.springframework.core.MethodClassKey;
import org.springframework.core.MethodParameter;
import org.springframework.core.ReactiveAdapter;
import org.springframework.core.ReactiveAdapterRegistry;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotatedMethod;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

import dev.locksmith.Backoff;
import dev.locksmith.LockDurations;
import dev.locksmith.LockOptions;
import dev.locksmith.boot.annotation.AutoExtend;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.FencingToken;
import dev.locksmith.boot.annotation.OnLocked;
import dev.locksmith.boot.aop.LockOperation.ResultKind;

/**
 * Finds the {@link DistributedLock @DistributedLock} of a method (directly, as a meta-annotation, or on
 * an interface or superclass method) and resolves it into an operation, once per method and target class.
 * Bad attributes fail with an {@link IllegalArgumentException} naming the method and attribute.
 */
public final class LockOperationSource {

	private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Flux",
			LockOperationSource.class.getClassLoader());

	private static final Object NONE = new Object();

	private static final String KOTLIN_CONTINUATION = "kotlin.coroutines.Continuation";

	private final Map<MethodClassKey, Object> cache = new ConcurrentHashMap<>(64);

	private final LockKeyEvaluator evaluator;

	private final @Nullable EmbeddedValueResolver valueResolver;

	private final Supplier<Backoff> defaultBackoff;

	/**
	 * Creates a source.
	 * @param beanFactory the bean factory for {@code ${…}} placeholders and {@code @bean} references, if any
	 * @param defaultBackoff supplies the configured backoff that retry attributes override
	 */
	public LockOperationSource(@Nullable BeanFactory beanFactory, Supplier<Backoff> defaultBackoff) {
		this.evaluator = new LockKeyEvaluator(beanFactory);
		this.valueResolver = (beanFactory instanceof ConfigurableBeanFactory configurable)
				? new EmbeddedValueResolver(configurable) : null;
		this.defaultBackoff = defaultBackoff;
	}

	/**
	 * Returns the operation for {@code method} invoked on {@code targetClass}.
	 * @param method the invoked method
	 * @param targetClass the target's class
	 * @return the operation, or {@code null} if the method is not annotated
	 * @throws IllegalArgumentException if the annotation is invalid
	 */
	@Nullable LockOperation get(Method method, Class<?> targetClass) {
		MethodClassKey cacheKey = new MethodClassKey(method, targetClass);
		Object cached = this.cache.get(cacheKey);
		if (cached == null) {
			LockOperation operation = build(method, targetClass);
			cached = (operation != null) ? operation : NONE;
			this.cache.putIfAbsent(cacheKey, cached);
		}
		return (cached != NONE) ? (LockOperation) cached : null;
	}

	/**
	 * Evaluates the keys of a multi-key {@code operation} for one call.
	 */
	List<String> keys(LockOperation operation, @Nullable Object[] args, @Nullable Object target, Class<?> targetClass) {
		return this.evaluator.keys(operation, args, target, targetClass);
	}

	/**
	 * Evaluates the key of {@code operation} for one call.
	 */
	String key(LockOperation operation, @Nullable Object[] args, @Nullable Object target, Class<?> targetClass) {
		return this.evaluator.key(operation, args, target, targetClass);
	}

	private @Nullable LockOperation build(Method method, Class<?> targetClass) {
		Method specific = BridgeMethodResolver.findBridgedMethod(AopUtils.getMostSpecificMethod(method, targetClass));
		DistributedLock annotation = AnnotatedElementUtils.findMergedAnnotation(specific, DistributedLock.class);
		if (annotation == null && specific != method) {
			annotation = AnnotatedElementUtils.findMergedAnnotation(method, DistributedLock.class);
		}
		if (annotation == null) {
			return null;
		}
		String description = "@DistributedLock on " + describe(specific, targetClass);
		if (isSuspending(specific)) {
			throw new IllegalArgumentException(description + ": Kotlin suspend functions are not supported: the "
					+ "lock would be released when the function first suspends, before the coroutine completes. "
					+ "Return a Mono or a CompletableFuture instead (for example with mono { } or future { } "
					+ "from kotlinx-coroutines), which hold the lock until they complete");
		}
		String keySource = annotation.key();
		String[] keys = annotation.keys();
		if (keys.length > 0 && StringUtils.hasText(keySource)) {
			throw new IllegalArgumentException(description + ": set either key or keys, not both");
		}
		AnnotatedElementKey elementKey = new AnnotatedElementKey(specific, targetClass);
		java.util.List<org.springframework.expression.Expression> keyExpressions = new java.util.ArrayList<>();
		for (int i = 0; i < keys.length; i++) {
			if (!StringUtils.hasText(keys[i])) {
				throw new IllegalArgumentException(description + ": keys[" + i + "] must not be empty");
			}
			keyExpressions.add(this.evaluator.parse(elementKey, keys[i], description));
		}
		if (keys.length > 0) {
			keySource = String.join(", ", keys);
		}
		else if (!StringUtils.hasText(keySource)) {
			throw new IllegalArgumentException(description + ": the key expression must not be empty "
					+ "(for a fixed key write key = \"'my-lock'\")");
		}
		var expression = (keys.length > 0) ? keyExpressions.get(0)
				: this.evaluator.parse(elementKey, keySource, description);
		String name = StringUtils.hasText(annotation.name()) ? resolve(annotation.name()) : keySource;
		LockOptions options = options(annotation, description).withName(name);
		ResultKind kind = resultKind(specific);
		ReactiveAdapter adapter = (kind == ResultKind.REACTIVE)
				? ReactiveAdapterRegistry.getSharedInstance().getAdapter(specific.getReturnType()) : null;
		int tokenIndex = tokenIndex(specific, description);
		if (keys.length > 0 && tokenIndex >= 0) {
			throw new IllegalArgumentException(description + ": a @FencingToken parameter needs a single key; with keys,"
					+ " read each key's token from LockContext.find(key)");
		}
		if (keys.length > 0 && kind == ResultKind.REACTIVE) {
			throw new IllegalArgumentException(description + ": keys is not supported on a method returning "
					+ specific.getReturnType().getSimpleName() + "; use MutexService.acquireAll");
		}
		return new LockOperation(description, keySource, expression, List.copyOf(keyExpressions), List.of(keys),
				elementKey, specific, name, options, annotation.onLocked(), annotation.onLost(), tokenIndex, kind,
				adapter);
	}

	private LockOptions options(DistributedLock annotation, String description) {
		LockOptions options = LockOptions.defaults();
		Duration ttl = duration(annotation.ttl(), "ttl", description);
		Duration waitTime = duration(annotation.waitTime(), "waitTime", description);
		Duration minHold = duration(annotation.minHold(), "minHold", description);
		try {
			if (ttl != null) {
				options = options.withTtl(ttl);
			}
			if (waitTime != null) {
				options = options.withWaitTime(waitTime);
			}
			else if (annotation.onLocked() != OnLocked.WAIT) {
				options = options.withWaitTime(Duration.ZERO);
			}
			if (minHold != null) {
				options = options.withMinHold(minHold);
			}
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException(description + ": " + ex.getMessage(), ex);
		}
		if (annotation.autoExtend() != AutoExtend.DEFAULT) {
			options = options.withAutoExtend(annotation.autoExtend() == AutoExtend.TRUE);
		}
		Backoff backoff = backoff(annotation, description);
		return (backoff != null) ? options.withBackoff(backoff) : options;
	}

	private @Nullable Backoff backoff(DistributedLock annotation, String description) {
		Duration initialDelay = duration(annotation.retryInitialDelay(), "retryInitialDelay", description);
		Duration maxDelay = duration(annotation.retryMaxDelay(), "retryMaxDelay", description);
		Double multiplier = number(annotation.retryMultiplier(), "retryMultiplier", description, Double::valueOf);
		Double jitter = number(annotation.retryJitter(), "retryJitter", description, Double::valueOf);
		Integer maxAttempts = number(annotation.retryMaxAttempts(), "retryMaxAttempts", description,
				Integer::valueOf);
		if (initialDelay == null && maxDelay == null && multiplier == null && jitter == null && maxAttempts == null) {
			return null;
		}
		Backoff base = this.defaultBackoff.get();
		try {
			return Backoff.of((initialDelay != null) ? initialDelay : base.initialDelay(),
					(maxDelay != null) ? maxDelay : base.maxDelay(),
					(multiplier != null) ? multiplier : base.multiplier(), (jitter != null) ? jitter : base.jitter(),
					(maxAttempts != null) ? maxAttempts : base.maxAttempts());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException(description + ": invalid retry attributes: " + ex.getMessage(), ex);
		}
	}

	private @Nullable Duration duration(String raw, String attribute, String description) {
		String value = resolve(raw);
		if (!StringUtils.hasText(value)) {
			return null;
		}
		String text = value.trim();
		if (text.chars().allMatch(Character::isDigit)) {
			// LockDurations reads a bare number as seconds, Boot's property binder as milliseconds: never guess
			throw new IllegalArgumentException(description + ": " + attribute + " = \"" + raw + "\" has no unit (write "
					+ text + "s or " + text + "ms)");
		}
		try {
			return LockDurations.parse(text);
		}
		catch (RuntimeException ex) {
			throw new IllegalArgumentException(description + ": " + attribute + " = \"" + raw
					+ "\" is not a duration (examples: 10s, 500ms, 10m, PT1M)", ex);
		}
	}

	private <N> @Nullable N number(String raw, String attribute, String description, Function<String, N> parser) {
		String value = resolve(raw);
		if (!StringUtils.hasText(value)) {
			return null;
		}
		try {
			return parser.apply(value.trim());
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException(description + ": " + attribute + " = \"" + raw + "\" is not a number",
					ex);
		}
	}

	private String resolve(String value) {
		if (this.valueResolver == null || !StringUtils.hasText(value)) {
			return value;
		}
		String resolved = this.valueResolver.resolveStringValue(value);
		return (resolved != null) ? resolved : "";
	}

	private static int tokenIndex(Method method, String description) {
		MethodParameter[] parameters = new AnnotatedMethod(method).getMethodParameters();
		int index = -1;
		for (MethodParameter parameter : parameters) {
			if (parameter.hasParameterAnnotation(FencingToken.class)) {
				Class<?> type = parameter.getParameterType();
				if (type != long.class && type != Long.class) {
					throw new IllegalArgumentException(description + ": @FencingToken parameter #"
							+ parameter.getParameterIndex() + " must be a long, was " + type.getName());
				}
				if (index >= 0) {
					throw new IllegalArgumentException(description + ": only one parameter may be @FencingToken");
				}
				index = parameter.getParameterIndex();
			}
		}
		return index;
	}

	/**
	 * Whether {@code method} is a Kotlin {@code suspend} function, compiled to a method whose last parameter
	 * is the caller's {@code kotlin.coroutines.Continuation} (checked by name: Kotlin need not be present).
	 */
	static boolean isSuspending(Method method) {
		Class<?>[] types = method.getParameterTypes();
		return types.length > 0 && types[types.length - 1].getName().equals(KOTLIN_CONTINUATION);
	}

	private static ResultKind resultKind(Method method) {
		Class<?> type = method.getReturnType();
		if (CompletionStage.class.isAssignableFrom(type)) {
			return type.isAssignableFrom(CompletableFuture.class) ? ResultKind.COMPLETION_STAGE : ResultKind.SYNC;
		}
		if (REACTOR_PRESENT && ReactiveAdapterRegistry.getSharedInstance().getAdapter(type) != null) {
			return ResultKind.REACTIVE;
		}
		return ResultKind.SYNC;
	}

	private static String describe(Method method, Class<?> targetClass) {
		StringBuilder builder = new StringBuilder(targetClass.getName()).append('.').append(method.getName()).append('(');
		Class<?>[] types = method.getParameterTypes();
		for (int i = 0; i < types.length; i++) {
			builder.append((i > 0) ? ", " : "").append(types[i].getSimpleName());
		}
		return builder.append(')').toString();
	}

}
