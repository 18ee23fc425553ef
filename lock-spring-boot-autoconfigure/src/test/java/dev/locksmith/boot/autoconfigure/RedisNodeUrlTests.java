package dev.locksmith.boot.autoconfigure;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Redlock node URLs: credentials are parsed, and never appear in an error (message, cause or stack trace)
 * or in the parsed node's {@code toString}, since both end up in startup logs.
 */
class RedisNodeUrlTests {

	@Test
	void aBadNodeUrlFailsStartupWithoutItsPassword() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, LocksmithAutoConfiguration.class))
			.withPropertyValues("locksmith.provider=redis", "locksmith.redis.mode=redlock",
					"locksmith.redis.nodes[0]=redis://app:TopSecret42@redis.example:6379/zero")
			.run((context) -> {
				assertThat(context).hasFailed();
				StringWriter trace = new StringWriter();
				context.getStartupFailure().printStackTrace(new PrintWriter(trace));
				assertThat(trace.toString()).contains("locksmith.redis.nodes[0]").doesNotContain("TopSecret42");
				for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
					if (t instanceof BindValidationException validation) {
						for (ObjectError error : validation.getValidationErrors().getAllErrors()) {
							// Boot's failure report prints a field error's rejected value.
							if (error instanceof FieldError field) {
								assertThat(String.valueOf(field.getRejectedValue())).doesNotContain("TopSecret42");
							}
						}
					}
				}
			});
	}

	@Test
	void credentialsAndTlsAreParsed() {
		RedisNodeUrl node = RedisNodeUrl.parse("rediss://app:s%40cret@redis.example:6390/3");
		assertThat(node.host()).isEqualTo("redis.example");
		assertThat(node.port()).isEqualTo(6390);
		assertThat(node.database()).isEqualTo(3);
		assertThat(node.username()).isEqualTo("app");
		assertThat(node.password()).isEqualTo("s@cret");
		assertThat(node.ssl()).isTrue();
		assertThat(node.toString()).doesNotContain("s@cret").doesNotContain("s%40cret");
	}

	@Test
	void aBadUrlIsReportedWithoutItsPassword() {
		for (String url : List.of("redis://app:TopSecret42@redis.example:6379/zero",
				"redis://app:TopSecret42@redis example:6379", "http://app:TopSecret42@redis.example:6379",
				"redis://app:TopSecret42@/0")) {
			IllegalArgumentException ex = catchThrowableOfType(IllegalArgumentException.class,
					() -> RedisNodeUrl.parse(url));
			assertThat(ex).as(url).isNotNull();
			StringWriter trace = new StringWriter();
			ex.printStackTrace(new PrintWriter(trace));
			assertThat(trace.toString()).as(url).doesNotContain("TopSecret42").contains("***@");
		}
	}

}
