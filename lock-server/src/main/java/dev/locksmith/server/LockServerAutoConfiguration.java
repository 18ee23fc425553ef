package dev.locksmith.server;

import dev.locksmith.MutexService;
import dev.locksmith.server.grpc.BearerTokenInterceptor;
import dev.locksmith.server.grpc.GrpcLockServer;
import dev.locksmith.server.grpc.GrpcLockService;
import dev.locksmith.server.web.LockServiceController;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Serves the lock service ({@code locksmith.server.enabled=true}) on the application's
 * {@link MutexService}: REST under {@code /api/v1alpha1} in a servlet web application, and gRPC on
 * {@code locksmith.server.grpc.port} unless {@code locksmith.server.grpc.enabled=false}.
 */
@AutoConfiguration(afterName = "dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration")
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
			return new LockServiceController(locks, properties.getMaxBodySize().toBytes());
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
				LockServerProperties properties) {
			LockServerProperties.Grpc grpc = properties.getGrpc();
			return new GrpcLockServer(service, new BearerTokenInterceptor(locks), grpc.getPort(),
					(int) properties.getMaxBodySize().toBytes(), grpc.getMaxThreads(), grpc.getQueueCapacity());
		}

	}

}
