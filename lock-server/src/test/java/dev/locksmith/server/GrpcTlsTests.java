package dev.locksmith.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import dev.locksmith.server.grpc.GrpcLockServer;
import dev.locksmith.server.grpc.v1alpha1.CreateLockRequest;
import dev.locksmith.server.grpc.v1alpha1.ListLocksRequest;
import dev.locksmith.server.grpc.v1alpha1.LockServiceGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * gRPC over TLS from a Spring Boot SSL bundle (a self-signed certificate that keytool generates for the
 * test), on the loopback address only: a client that trusts the certificate and carries the token is
 * served; a plaintext client and a client that does not trust the certificate are not.
 */
@SpringBootTest(classes = TestLockServerApplication.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
		properties = { "locksmith.server.enabled=true", "locksmith.server.grpc.port=0",
				"locksmith.server.token=s3cret", "locksmith.server.grpc.ssl.bundle=lock-service" })
class GrpcTlsTests {

	private static Path certificate;

	@Autowired
	GrpcLockServer server;

	@DynamicPropertySource
	static void sslBundle(DynamicPropertyRegistry registry) throws IOException, InterruptedException {
		Path dir = Files.createTempDirectory("locksmith-tls");
		Path keystore = dir.resolve("server.p12");
		certificate = dir.resolve("server.crt");
		keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
				"-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
				"-keystore", keystore.toString(), "-storepass", "changeit");
		keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", "changeit",
				"-file", certificate.toString());
		registry.add("spring.ssl.bundle.jks.lock-service.keystore.location", () -> "file:" + keystore);
		registry.add("spring.ssl.bundle.jks.lock-service.keystore.password", () -> "changeit");
		registry.add("spring.ssl.bundle.jks.lock-service.keystore.type", () -> "PKCS12");
		registry.add("spring.ssl.bundle.jks.lock-service.options.enabled-protocols", () -> "TLSv1.3");
	}

	private static void keytool(String... args) throws IOException, InterruptedException {
		List<String> command = new java.util.ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
		command.addAll(List.of(args));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes());
		assertThat(process.waitFor()).as(output).isZero();
	}

	@Test
	void aClientThatTrustsTheCertificateIsServedOverTls() throws Exception {
		ManagedChannel channel = channel(TlsChannelCredentials.newBuilder().trustManager(certificate.toFile()).build());
		try {
			LockServiceGrpc.LockServiceBlockingStub stub = withToken(LockServiceGrpc.newBlockingStub(channel));
			stub.createLock(CreateLockRequest.newBuilder().setService("tls").setWho("me").build());
			assertThat(stub.listLocks(ListLocksRequest.getDefaultInstance()).getTotal()).isOne();
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
	}

	@Test
	void plaintextAndUntrustingClientsAreNotServed() throws Exception {
		for (ChannelCredentials credentials : new ChannelCredentials[] { InsecureChannelCredentials.create(),
				TlsChannelCredentials.create() }) {
			ManagedChannel channel = channel(credentials);
			try {
				StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
						() -> withToken(LockServiceGrpc.newBlockingStub(channel))
							.listLocks(ListLocksRequest.getDefaultInstance()));
				assertThat(error).as(credentials.toString()).isNotNull();
				assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
			}
			finally {
				channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
			}
		}
	}

	@Test
	void theBundlesTlsOptionsAreHonoured() throws Exception {
		// the bundle allows TLSv1.3 only: a client limited to TLSv1.2 must not get a session
		KeyStore trust = KeyStore.getInstance("PKCS12");
		trust.load(null, null);
		try (InputStream in = Files.newInputStream(certificate)) {
			trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
		}
		TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trustManagers.init(trust);
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, trustManagers.getTrustManagers(), null);
		try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", this.server.getPort())) {
			socket.setSoTimeout(5000);
			socket.setEnabledProtocols(new String[] { "TLSv1.2" });
			assertThat(catchThrowableOfType(IOException.class, socket::startHandshake))
				.as("a TLSv1.2 handshake with a server whose bundle enables TLSv1.3 only")
				.isNotNull();
		}
	}

	@Test
	void listensOnTheLoopbackAddressByDefault() throws IOException {
		List<? extends SocketAddress> addresses = this.server.getListenAddresses();
		assertThat(addresses).isNotEmpty()
			.allSatisfy((address) -> assertThat(((InetSocketAddress) address).getAddress().isLoopbackAddress()).isTrue());
		Optional<InetAddress> external = NetworkInterface.networkInterfaces()
			.flatMap(NetworkInterface::inetAddresses)
			.filter((address) -> !address.isLoopbackAddress() && !address.isLinkLocalAddress())
			.findFirst();
		assumeThat(external).as("a non-loopback address of this host").isPresent();
		try (Socket socket = new Socket()) {
			IOException refused = catchThrowableOfType(IOException.class,
					() -> socket.connect(new InetSocketAddress(external.get(), this.server.getPort()), 2000));
			assertThat(refused).as("connecting through " + external.get()).isNotNull();
		}
	}

	private ManagedChannel channel(ChannelCredentials credentials) {
		return Grpc.newChannelBuilderForAddress("localhost", this.server.getPort(), credentials).build();
	}

	private static LockServiceGrpc.LockServiceBlockingStub withToken(LockServiceGrpc.LockServiceBlockingStub stub) {
		Metadata headers = new Metadata();
		headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer s3cret");
		return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
			.withDeadlineAfter(10, TimeUnit.SECONDS);
	}

}
