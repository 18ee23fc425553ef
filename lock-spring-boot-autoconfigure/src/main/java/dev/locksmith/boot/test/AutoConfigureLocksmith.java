package dev.locksmith.boot.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;

/**
 * Adds Locksmith to a test slice ({@code @DataJpaTest}, {@code @WebMvcTest}, {@code @JdbcTest}...), which
 * otherwise leaves it out, so that {@code @DistributedLock} would silently not lock: the
 * {@code MutexService} on the provider chosen by {@code locksmith.provider} (memory by default) and the
 * {@code @DistributedLock} advice. The auto-configurations it imports are listed in
 * {@code META-INF/spring/dev.locksmith.boot.test.AutoConfigureLocksmith.imports}. A Redis provider also needs
 * the slice to have Redis auto-configured; a JDBC provider uses the slice's {@code DataSource}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ImportAutoConfiguration
public @interface AutoConfigureLocksmith {

}
