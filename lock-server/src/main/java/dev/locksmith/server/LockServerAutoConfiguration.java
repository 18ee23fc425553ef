package dev.locksmith.server;

import java.time.Clock;
import java.util.concurrent.ThreadFactory;

import dev.locksmith.MutexService;
import dev.locksmith.server.grpc.BearerTokenInterceptor;
import dev.locksmith.server.grpc.GrpcLockServer;
import dev.locksmith.server.grpc.GrpcLockService;
import dev.locksmith.server.web.LockPageController;
import dev.locksmith.server.web.LockServiceController;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.core.task.VirtualThreadTaskExecutor;

/**
 * Serves the lock service ({@code locksmith.server.enabled=true}) on the application's
 * {@link MutexService}: REST under {@code /api/v1alpha1} in a servlet web application, and gRPC on
 * {@code locksmith.server.grpc.address}:{@code locksmith.server.grpc.port} (loopback by default; TLS with
 * {@code locksmith.server.grpc.ssl.bundle}) unless {@code locksmith.server.grpc.enabled=false}; with
 * {@code locksmith.server.page.enabled=true} also the lock page at {@code /locksmith/locks}.
 */
@AutoConfiguration(afterName = { "dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration",
		"org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration" })
@ConditionalOnBooleanProperty("locksmith.server.enabled")
@ConditionalOnBean(MutexService.class)
@EnableConfigurationProperties(LockServerProperties.class)
@Import({ LockServerAutoConfiguration.Web.class, LockServerAutoConfiguration.GrpcServer.class })
public final class LockServerAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ServiceLocks locksmithServiceLocks(MutexService locks, LockServerProperties properties) {
		return new ServiceLocks(locks, properties);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
	@ConditionalOnClass(name = { "org.springframework.web.servlet.DispatcherServlet",
			"tools.jackson.databind.json.JsonMapper" })
	static class Web {

		@Bean
		@ConditionalOnMissingBean
		LockServiceController locksmithLockServiceController(ServiceLocks locks, LockServerProperties properties) {
			return new LockServiceController(locks, properties.getMaxBodySize().toBytes(),
					properties.getBrowserHosts());
		}

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnBooleanProperty("locksmith.server.page.enabled")
		LockPageController locksmithLockPageController(ServiceLocks locks, LockServerProperties properties) {
			String token = properties.getToken();
			return new LockPageController(locks, properties.getBrowserHosts(), token != null && !token.isEmpty(),
					Clock.systemUTC());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.grpc.Server")
	@ConditionalOnBooleanProperty(name = "locksmith.server.grpc.enabled", matchIfMissing = true)
	static class GrpcServer {

		@Bean
		@ConditionalOnMissingBean
		GrpcLockService locksmithGrpcLockService(ServiceLocks locks) {
			return new GrpcLockService(locks);
		}

		@Bean
		@ConditionalOnMissingBean
		GrpcLockServer locksmithGrpcLockServer(GrpcLockService service, ServiceLocks locks,
				LockServerProperties properties, ObjectProvider<SslBundles> sslBundles, Environment environment) {
			LockServerProperties.Grpc grpc = properties.getGrpc();
			// calls wait for locks on these threads: virtual ones when the application runs on virtual threads
			@Nullable ThreadFactory threads = Threading.VIRTUAL.isActive(environment)
					? new VirtualThreadTaskExecutor("locksmith-grpc-").getVirtualThreadFactory() : null;
			return new GrpcLockServer(service, new BearerTokenInterceptor(locks), grpc,
					(int) properties.getMaxBodySize().toBytes(), sslBundle(grpc.getSsl().getBundle(), sslBundles),
					threads);
		}

		private static @Nullable SslBundle sslBundle(@Nullable String name, ObjectProvider<SslBundles> sslBundles) {
			if (name == null || name.isBlank()) {
				return null;
			}
			SslBundles bundles = sslBundles.getIfAvailable();
			if (bundles == null) {
				throw new IllegalStateException("locksmith.server.grpc.ssl.bundle is '" + name
						+ "' but no SSL bundles are configured (spring.ssl.bundle.*)");
			}
			return bundles.getBundle(name);
		}

	}

}
