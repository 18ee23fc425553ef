package dev.locksmith.boot.aop;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.core.ReactiveAdapter;
import org.springframework.expression.Expression;

import dev.locksmith.LockOptions;
import dev.locksmith.boot.annotation.OnLocked;
import dev.locksmith.boot.annotation.OnLost;

/**
 * What one {@code @DistributedLock} method does, resolved once per method and target class: the parsed
 * key expression, the lock options with durations and placeholders resolved, the strategies, the fencing
 * token parameter and how the result is awaited.
 */
final class LockOperation {

	/** How the method's result is awaited before the lock is released. */
	enum ResultKind {

		/** Released when the method returns. */
		SYNC,

		/** Released when the returned {@code CompletionStage} completes. */
		COMPLETION_STAGE,

		/** Locked per subscription; released when the returned publisher terminates or is cancelled. */
		REACTIVE

	}

	final String description;

	final String keySource;

	final Expression keyExpression;

	/** The parsed {@code keys} expressions of a multi-key lock, in declaration order; empty for one key. */
	final java.util.List<Expression> keyExpressions;

	/** The source of each of {@link #keyExpressions}. */
	final java.util.List<String> keySources;

	final AnnotatedElementKey elementKey;

	final java.lang.reflect.Method targetMethod;

	final String name;

	final LockOptions options;

	final OnLocked onLocked;

	final OnLost onLost;

	final int tokenIndex;

	final ResultKind resultKind;

	final @Nullable ReactiveAdapter reactiveAdapter;

	private final Class<?> returnType;

	LockOperation(String description, String keySource, Expression keyExpression, AnnotatedElementKey elementKey,
			java.lang.reflect.Method targetMethod, String name, LockOptions options, OnLocked onLocked, OnLost onLost,
			int tokenIndex, ResultKind resultKind, @Nullable ReactiveAdapter reactiveAdapter) {
		this(description, keySource, keyExpression, java.util.List.of(), java.util.List.of(), elementKey, targetMethod,
				name, options, onLocked, onLost, tokenIndex, resultKind, reactiveAdapter);
	}

	LockOperation(String description, String keySource, Expression keyExpression,
			java.util.List<Expression> keyExpressions, java.util.List<String> keySources,
			AnnotatedElementKey elementKey, java.lang.reflect.Method targetMethod, String name, LockOptions options,
			OnLocked onLocked, OnLost onLost, int tokenIndex, ResultKind resultKind,
			@Nullable ReactiveAdapter reactiveAdapter) {
		this.description = description;
		this.keySource = keySource;
		this.keyExpression = keyExpression;
		this.keyExpressions = keyExpressions;
		this.keySources = keySources;
		this.elementKey = elementKey;
		this.targetMethod = targetMethod;
		this.name = name;
		this.options = options;
		this.onLocked = onLocked;
		this.onLost = onLost;
		this.tokenIndex = tokenIndex;
		this.resultKind = resultKind;
		this.reactiveAdapter = reactiveAdapter;
		this.returnType = targetMethod.getReturnType();
	}

	/** Returns whether this operation locks several keys ({@code keys}). */
	boolean isMultiKey() {
		return !this.keyExpressions.isEmpty();
	}

	/**
	 * Replaces the caller's value of the {@code @FencingToken} parameter, if there is one.
	 */
	void injectToken(@Nullable Object[] args, long token) {
		if (this.tokenIndex >= 0) {
			args[this.tokenIndex] = token;
		}
	}

	/**
	 * Returns what a skipped call returns (see {@link OnLocked#SKIP}).
	 */
	@Nullable Object skippedResult() {
		Class<?> type = this.returnType;
		if (type == Optional.class) {
			return Optional.empty();
		}
		if (type == OptionalInt.class) {
			return OptionalInt.empty();
		}
		if (type == OptionalLong.class) {
			return OptionalLong.empty();
		}
		if (type == OptionalDouble.class) {
			return OptionalDouble.empty();
		}
		if (this.resultKind == ResultKind.COMPLETION_STAGE) {
			return CompletableFuture.completedFuture(null);
		}
		if (type.isPrimitive() && type != void.class) {
			return java.lang.reflect.Array.get(java.lang.reflect.Array.newInstance(type, 1), 0);
		}
		return null;
	}

	@Override
	public String toString() {
		return this.description;
	}

}
