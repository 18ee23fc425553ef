package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.List;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.EtcdTestServer;

/**
 * The provider contract kit against a real etcd, with the two services on two independent jetcd clients
 * (as two processes would have). Skipped, naming the package, when etcd is not installed.
 */
class EtcdLockProviderContractTests extends LockProviderContractTests {

	private static EtcdTestServer etcd;

	private static List<Client> clients;

	private int created;

	@BeforeAll
	static void startEtcd() {
		if (EtcdTestServer.isInstalled()) {
			etcd = new EtcdTestServer();
			clients = List.of(etcd.client(), etcd.client());
		}
	}

	@AfterAll
	static void stopEtcd() {
		if (etcd != null) {
			clients.forEach(Client::close);
			etcd.close();
		}
	}

	/**
	 * 1 s: etcd TTLs are whole seconds (a shorter TTL is rounded up to 1 s anyway).
	 */
	@Override
	protected Duration shortTtl() {
		return Duration.ofSeconds(1);
	}

	/**
	 * Called first by the kit's {@code @BeforeEach}, so each test is reported as skipped without etcd.
	 */
	@Override
	protected LockProvider newProvider() {
		EtcdTestServer.assumeInstalled();
		return EtcdLockProvider.builder(clients.get(this.created++ % 2)).requestTimeout(Duration.ofSeconds(5)).build();
	}

}
