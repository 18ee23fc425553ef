package dev.locksmith.boot.autoconfigure;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.locksmith.LockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.etcd.EtcdLockProvider;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The etcd provider wired from {@code locksmith.etcd.*}, against a real etcd (skipped, naming the package,
 * when etcd is not installed).
 */
class EtcdProviderConfigurationTests {

	private static EtcdTestServer etcd;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class));

	@BeforeAll
	static void startEtcd() {
		if (!EtcdTestServer.isInstalled()) {
			return;
		}
		etcd = new EtcdTestServer();
	}

	@BeforeEach
	void requireEtcd() {
		EtcdTestServer.assumeInstalled();
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			etcd.close();
		}
	}

	@Test
	void providerEtcdLocksThroughTheConfiguredCluster() {
		this.contextRunner
			.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=" + etcd.endpoint(),
					"locksmith.etcd.namespace=boot-test/", "locksmith.etcd.request-timeout=3s",
					"locksmith.key-prefix=boot:")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(EtcdLockProvider.class).hasSingleBean(Client.class);
				MutexService locks = context.getBean(MutexService.class);
				assertThat(locks.providerName()).isEqualTo("etcd");
				try (LockHandle handle = locks.acquire("order:1")) {
					assertThat(handle.fencingToken()).isPositive();
					assertThat(context.getBean(LockEngine.class).provider().inspect("boot:order:1").isLocked()).isTrue();
				}
				assertThat(locks.isLocked("order:1")).isFalse();
				context.getBean(LockEngine.class).provider().ping();
			});
	}

	@Test
	void tlsThroughASpringBootSslBundle(@TempDir Path dir) throws Exception {
		Assumptions.assumeTrue(onPath("openssl"), "openssl is needed to make the test certificate");
		Path cert = dir.resolve("etcd.pem");
		Path key = dir.resolve("etcd-key.pem");
		Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
				"-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out",
				cert.toString())
			.redirectErrorStream(true)
			.redirectOutput(dir.resolve("openssl.log").toFile())
			.start();
		assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(openssl.exitValue()).as(Files.readString(dir.resolve("openssl.log"))).isZero();
		try (EtcdTestServer tls = EtcdTestServer.withTls(cert, key)) {
			assertThat(tls.endpoint()).startsWith("https://");
			ApplicationContextRunner runner = new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, LocksmithAutoConfiguration.class));
			runner
				.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=" + tls.endpoint(),
						"locksmith.etcd.ssl-bundle=etcd", "locksmith.etcd.request-timeout=3s",
						"spring.ssl.bundle.pem.etcd.truststore.certificate=file:" + cert)
				.run((context) -> {
					assertThat(context).hasNotFailed();
					MutexService locks = context.getBean(MutexService.class);
					try (LockHandle handle = locks.acquire("tls:1")) {
						assertThat(handle.fencingToken()).isPositive();
					}
				});
			runner.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=" + tls.endpoint(),
					"locksmith.etcd.request-timeout=2s", "locksmith.etcd.connect-timeout=1s")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThatThrownBy(() -> context.getBean(MutexService.class).acquire("tls:plain",
							dev.locksmith.LockOptions.waitTime(java.time.Duration.ZERO)))
						.as("https without a bundle trusts only the JVM's default CAs, not this self-signed certificate")
						.isInstanceOf(dev.locksmith.LockProviderUnavailableException.class);
				});
		}
	}

	@Test
	void usernameAndPasswordAuthenticate() throws Exception {
		try (EtcdTestServer secured = new EtcdTestServer(); Client admin = secured.client()) {
			ByteSequence root = ByteSequence.from("root", StandardCharsets.UTF_8);
			ByteSequence password = ByteSequence.from("s3cret", StandardCharsets.UTF_8);
			admin.getAuthClient().roleAdd(root).get(10, TimeUnit.SECONDS);
			admin.getAuthClient().userAdd(root, password).get(10, TimeUnit.SECONDS);
			admin.getAuthClient().userGrantRole(root, root).get(10, TimeUnit.SECONDS);
			admin.getAuthClient().authEnable().get(10, TimeUnit.SECONDS);
			this.contextRunner
				.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=" + secured.endpoint(),
						"locksmith.etcd.username=root", "locksmith.etcd.password=s3cret")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					try (LockHandle handle = context.getBean(MutexService.class).acquire("auth:1")) {
						assertThat(handle.fencingToken()).isPositive();
					}
				});
			this.contextRunner
				.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=" + secured.endpoint(),
						"locksmith.etcd.username=root", "locksmith.etcd.password=wrong",
						"locksmith.etcd.request-timeout=2s")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThatThrownBy(() -> context.getBean(MutexService.class).acquire("auth:2",
							dev.locksmith.LockOptions.waitTime(java.time.Duration.ZERO)))
						.isInstanceOf(dev.locksmith.LockProviderUnavailableException.class);
				});
		}
	}

	private static boolean onPath(String command) {
		for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
			if (Files.isExecutable(Path.of(dir, command))) {
				return true;
			}
		}
		return false;
	}

	@Test
	void withoutJetcdStartupFailsSayingWhatToAdd() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Client.class))
			.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=" + etcd.endpoint())
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.provider=etcd")
				.hasMessageContaining("io.etcd:jetcd-core"));
	}

	@Test
	void badSettingsFailNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.request-timeout=0s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.etcd.request-timeout"));
		this.contextRunner.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.namespace=")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.etcd.namespace"));
	}

	@Test
	void everyEtcdPropertyHasMetadata() throws Exception {
		String json;
		try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			assertThat(in).isNotNull();
			json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		List<Map<String, Object>> properties = JsonPath.read(json, "$.properties[?(@.name =~ /locksmith\\.etcd\\..*/)]");
		assertThat(properties).extracting((property) -> property.get("name"))
			.containsExactlyInAnyOrder("locksmith.etcd.endpoints", "locksmith.etcd.namespace", "locksmith.etcd.username",
					"locksmith.etcd.password", "locksmith.etcd.ssl-bundle", "locksmith.etcd.connect-timeout",
					"locksmith.etcd.request-timeout");
		assertThat(properties).allSatisfy((property) -> {
			assertThat((String) property.get("description")).as("description of %s", property.get("name"))
				.isNotBlank();
			assertThat(property.get("type")).isNotNull();
		});
	}

}
