package dev.locksmith.boot.autoconfigure;

import java.nio.charset.StandardCharsets;

import javax.net.ssl.SSLException;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;

import dev.locksmith.MutexService;
import dev.locksmith.provider.etcd.EtcdLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * The etcd provider configuration ({@code locksmith.provider=etcd}): a jetcd {@link Client} from
 * {@code locksmith.etcd.*} (endpoints, user and password, TLS through a Spring Boot SSL bundle or, for
 * {@code https://} endpoints without one, the JVM's default trust store, connect timeout) and an {@link EtcdLockProvider} on it. An application may define its own {@link Client} bean
 * named {@code locksmithEtcdClient} instead.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = { "io.etcd.jetcd.Client", "dev.locksmith.provider.etcd.EtcdLockProvider" })
@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
@ConditionalOnProperty(name = "locksmith.provider", havingValue = "etcd")
class EtcdProviderConfiguration {

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean(name = "locksmithEtcdClient")
	Client locksmithEtcdClient(LocksmithProperties properties, ObjectProvider<SslBundles> sslBundles) {
		LocksmithProperties.Etcd etcd = properties.getEtcd();
		ClientBuilder builder = Client.builder()
			.endpoints(etcd.getEndpoints().toArray(String[]::new))
			.connectTimeout(etcd.getConnectTimeout())
			.retryMaxDuration(etcd.getRequestTimeout());
		if (StringUtils.hasLength(etcd.getUsername())) {
			builder.user(ByteSequence.from(etcd.getUsername(), StandardCharsets.UTF_8));
			String password = (etcd.getPassword() != null) ? etcd.getPassword() : "";
			builder.password(ByteSequence.from(password, StandardCharsets.UTF_8));
		}
		if (StringUtils.hasLength(etcd.getSslBundle())) {
			SslBundles bundles = sslBundles.getIfAvailable();
			if (bundles == null) {
				throw new IllegalStateException("locksmith.etcd.ssl-bundle is set but no SslBundles bean exists");
			}
			SslBundle bundle = bundles.getBundle(etcd.getSslBundle());
			try {
				builder.sslContext((ssl) -> ssl.keyManager(bundle.getManagers().getKeyManagerFactory())
					.trustManager(bundle.getManagers().getTrustManagerFactory()));
			}
			catch (SSLException ex) {
				throw new IllegalStateException("locksmith.etcd.ssl-bundle '" + etcd.getSslBundle()
						+ "' could not be used for TLS to etcd: " + ex.getMessage(), ex);
			}
		}
		else if (etcd.getEndpoints().stream().anyMatch((endpoint) -> endpoint.startsWith("https://"))) {
			try {
				builder.sslContext((ssl) -> {
					// https:// without an SSL bundle: TLS with the JVM's default trust store
				});
			}
			catch (SSLException ex) {
				throw new IllegalStateException("TLS to etcd could not be set up: " + ex.getMessage(), ex);
			}
		}
		return builder.build();
	}

	@Bean(destroyMethod = "close")
	LockProvider locksmithLockProvider(Client locksmithEtcdClient, LocksmithProperties properties) {
		return EtcdLockProvider.builder(locksmithEtcdClient)
			.namespace(properties.getEtcd().getNamespace())
			.requestTimeout(properties.getEtcd().getRequestTimeout())
			.build();
	}

}
