package dev.locksmith.leader;

import java.time.Duration;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.provider.etcd.EtcdLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.EtcdTestServer;

/**
 * {@link AbstractLeaderElectionProviderTests} on a real etcd. Skipped, naming the package, when etcd is not
 * installed.
 */
class EtcdLeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

	private static EtcdTestServer etcd;

	private static Client client;

	@BeforeAll
	static void startEtcd() {
		if (EtcdTestServer.isInstalled()) {
			etcd = new EtcdTestServer();
			client = etcd.client();
		}
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			client.close();
			etcd.close();
		}
	}

	@Override
	protected LockProvider newProvider() {
		EtcdTestServer.assumeInstalled();
		return EtcdLockProvider.builder(client).requestTimeout(Duration.ofSeconds(5)).build();
	}

}
