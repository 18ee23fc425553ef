package dev.locksmith.provider.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.locksmith.LeaseType;
import dev.locksmith.provider.kubernetes.KubernetesLockProvider.ObjectKind;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Mutex custom resource: the shipped CRD parses and has the document's fields and printer columns, object
 * names are the keys where they can be, the status mirrors the lock for {@code kubectl get mutex}, a Mutex made
 * by hand is taken into use with its {@code spec.ttl} kept, and the token counter survives releases.
 */
class MutexResourceTests {

	private static MockApiServer server;

	private static KubernetesClient client;

	private KubernetesLockProvider provider;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		client = server.client();
		MutexCrd.install(client);
	}

	@AfterAll
	static void stop() {
		client.close();
		server.close();
	}

	@BeforeEach
	void createProvider() {
		this.provider = KubernetesLockProvider.builder(client).resource(ObjectKind.MUTEX).build();
	}

	@AfterEach
	void closeProvider() {
		this.provider.close();
	}

	@Test
	void theCrdManifestParsesAndDeclaresTheDocumentsFieldsAndColumns() {
		CustomResourceDefinition crd = MutexCrd.load(client);
		assertThat(crd.getMetadata().getName()).isEqualTo("mutexes.locksmith.dev");
		assertThat(crd.getSpec().getGroup()).isEqualTo(new Mutex().getGroup());
		assertThat(crd.getSpec().getNames().getKind()).isEqualTo("Mutex");
		assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(new Mutex().getPlural());
		assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
		CustomResourceDefinitionVersion v1 = crd.getSpec().getVersions().get(0);
		assertThat(v1.getName()).isEqualTo(new Mutex().getVersion());
		assertThat(v1.getSubresources()).as("status is written with the annotations, in one update").isNull();
		JSONSchemaProps schema = v1.getSchema().getOpenAPIV3Schema();
		assertThat(schema.getProperties().get("spec").getProperties()).containsOnlyKeys("ttl");
		JSONSchemaProps status = schema.getProperties().get("status");
		assertThat(status.getProperties()).containsOnlyKeys("holder", "lockedAt", "expiresAt", "phase",
				"fencingToken", "conditions");
		assertThat(status.getProperties().get("phase").getEnum()).extracting(Object::toString)
			.containsExactly("\"Unlocked\"", "\"Locked\"");
		assertThat(v1.getAdditionalPrinterColumns()).extracting(CustomResourceColumnDefinition::getJsonPath)
			.contains(".status.holder", ".status.phase", ".status.expiresAt");
	}

	@Test
	void theRbacManifestGrantsWhatTheProviderDoesOnLeasesAndMutexes() throws IOException {
		try (java.io.InputStream in = Files.newInputStream(Path.of("deploy", "rbac.yaml"))) {
			List<io.fabric8.kubernetes.api.model.HasMetadata> objects = client.load(in).items();
			io.fabric8.kubernetes.api.model.rbac.Role role = objects.stream()
				.filter(io.fabric8.kubernetes.api.model.rbac.Role.class::isInstance)
				.map(io.fabric8.kubernetes.api.model.rbac.Role.class::cast)
				.findFirst()
				.orElseThrow();
			assertThat(role.getRules()).anySatisfy((rule) -> {
				assertThat(rule.getApiGroups()).containsExactly("locksmith.dev");
				assertThat(rule.getResources()).containsExactly("mutexes");
				assertThat(rule.getVerbs()).contains("get", "list", "watch", "create", "update");
			});
			assertThat(role.getRules()).anySatisfy((rule) -> assertThat(rule.getResources()).containsExactly("leases"));
		}
	}

	@Test
	void requestsPerOperationAreTheLeasesOnes() {
		int start = server.requestCount();
		this.provider.acquire(write("counted", "a", "o"));
		int acquire = server.requestCount() - start;
		start = server.requestCount();
		boolean denied = !this.provider.acquire(write("counted", "b", "o")).isGranted();
		int deniedRequests = server.requestCount() - start;
		start = server.requestCount();
		this.provider.extend(write("counted", "a", "o").ref(), Duration.ofSeconds(10));
		int extend = server.requestCount() - start;
		start = server.requestCount();
		this.provider.release(write("counted", "a", "o").ref());
		int release = server.requestCount() - start;
		assertThat(denied).isTrue();
		assertThat(new int[] { acquire, deniedRequests, extend, release }).containsExactly(2, 1, 2, 2);
	}

	@Test
	void aKeyThatIsADnsLabelNamesItsMutexAndOtherKeysGetDerivedNames() {
		assertThat(this.provider.objectName("db-migration")).isEqualTo("db-migration");
		assertThat(this.provider.objectName("orders:42")).startsWith("locksmith-orders-42-");
		assertThat(this.provider.objectName("DB-migration")).startsWith("locksmith-db-migration-");
		// a key that looks like a derived name is derived too, so the two sets of names never meet
		String derived = this.provider.objectName("orders:42");
		assertThat(this.provider.objectName(derived)).isNotEqualTo(derived).startsWith("locksmith-locksmith-");
		assertThat(this.provider.objectName("x".repeat(64))).isNotEqualTo("x".repeat(64));
	}

	@Test
	void theStatusMirrorsTheLockAndTheTokenSurvivesRelease() {
		Instant before = Instant.now();
		Grant first = this.provider.acquire(write("file-writer", "a", "pod-xyz-123"));
		assertThat(first.isGranted()).isTrue();
		MutexStatus status = mutex("file-writer").getStatus();
		assertThat(status.getHolder()).isEqualTo("pod-xyz-123");
		assertThat(status.getPhase()).isEqualTo(Mutex.LOCKED);
		assertThat(status.getFencingToken()).isEqualTo(first.fencingToken());
		assertThat(Instant.parse(status.getLockedAt())).isBetween(before.minusSeconds(1), Instant.now());
		assertThat(Duration.between(Instant.parse(status.getLockedAt()), Instant.parse(status.getExpiresAt())))
			.isEqualTo(Duration.ofSeconds(30));
		assertThat(status.getConditions()).singleElement().satisfies((ready) -> {
			assertThat(ready.getType()).isEqualTo("Ready");
			assertThat(ready.getStatus()).isEqualTo("True");
			assertThat(ready.getReason()).isEqualTo("MutexReady");
		});

		assertThat(this.provider.release(write("file-writer", "a", "pod-xyz-123").ref())).isTrue();
		status = mutex("file-writer").getStatus();
		assertThat(status.getPhase()).isEqualTo(Mutex.UNLOCKED);
		assertThat(status.getHolder()).isNull();
		assertThat(status.getExpiresAt()).isNull();
		Grant second = this.provider.acquire(write("file-writer", "b", "pod-abc"));
		assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
	}

	@Test
	void aMutexCreatedByHandIsTakenIntoUseWithItsTtlKept() {
		// the document's manifest, in our API group, applied as kubectl would (no Locksmith annotations)
		Mutex applied = client.getKubernetesSerialization().unmarshal("""
				apiVersion: locksmith.dev/v1
				kind: Mutex
				metadata:
				  name: db-migration
				spec:
				  ttl: 15m
				""", Mutex.class);
		client.resources(Mutex.class).resource(applied).create();
		Grant grant = this.provider.acquire(write("db-migration", "a", "migrate-db-1"));
		assertThat(grant.isGranted()).isTrue();
		assertThat(grant.fencingToken()).isEqualTo(1);
		Mutex mutex = mutex("db-migration");
		assertThat(mutex.getSpec().getTtl()).isEqualTo("15m");
		assertThat(mutex.getStatus().getHolder()).isEqualTo("migrate-db-1");
		assertThat(mutex.getMetadata().getAnnotations()).containsEntry(KubernetesLockProvider.KEY_ANNOTATION,
				"db-migration");
		assertThat(this.provider.acquire(write("db-migration", "b", "migrate-db-2")).isGranted()).isFalse();
		assertThat(this.provider.list("", 0, 10).locks()).extracting((info) -> info.key()).contains("db-migration");
	}

	@Test
	void aHeldMutexWhoseKeyAnnotationWasRemovedByHandKeepsItsHolderAndItsToken() {
		Grant first = this.provider.acquire(write("nightly-report", "a", "report-1"));
		assertThat(first.isGranted()).isTrue();
		// kubectl annotate mutex nightly-report locksmith.dev/key-  (the lease and token annotations stay)
		Mutex edited = mutex("nightly-report");
		edited.getMetadata().getAnnotations().remove(KubernetesLockProvider.KEY_ANNOTATION);
		client.resources(Mutex.class).resource(edited).update();
		assertThat(this.provider.acquire(write("nightly-report", "b", "report-2")).isGranted())
			.as("the live lease in the annotations still blocks").isFalse();
		assertThat(this.provider.release(write("nightly-report", "a", "report-1").ref())).isTrue();
		Grant next = this.provider.acquire(write("nightly-report", "b", "report-2"));
		assertThat(next.fencingToken()).as("the token counter is not reset").isGreaterThan(first.fencingToken());
	}

	@Test
	void aMalformedTokenAnnotationIsAClearStateErrorNotABadArgument() {
		assertThat(this.provider.acquire(write("edited-token", "a", "o")).isGranted()).isTrue();
		Mutex edited = mutex("edited-token");
		edited.getMetadata().getAnnotations().put(KubernetesLockProvider.TOKEN_ANNOTATION, "seven");
		client.resources(Mutex.class).resource(edited).update();
		assertThatThrownBy(() -> this.provider.acquire(write("edited-token", "b", "o")))
			.isInstanceOf(IllegalStateException.class)
			.hasMessageContaining(KubernetesLockProvider.TOKEN_ANNOTATION)
			.hasMessageContaining("seven");
		edited = mutex("edited-token");
		edited.getMetadata().getAnnotations().put(KubernetesLockProvider.TOKEN_ANNOTATION, Long.toString(Long.MAX_VALUE));
		client.resources(Mutex.class).resource(edited).update();
		assertThatThrownBy(() -> this.provider.acquire(write("edited-token", "b", "o")))
			.as("no token after the largest one (it would wrap to a negative one)")
			.isInstanceOf(IllegalStateException.class)
			.hasMessageContaining(KubernetesLockProvider.TOKEN_ANNOTATION);
	}

	@Test
	void anEndlessConflictStormEndsAsAnOutageAfterTheBoundedAttemptsWithoutAGrant() {
		assertThat(this.provider.acquire(write("stormy", "a", "o")).isGranted()).isTrue();
		assertThat(this.provider.release(write("stormy", "a", "o").ref())).isTrue();
		String before = mutex("stormy").getMetadata().getResourceVersion();
		int start = server.requestCount();
		server.conflictOn((request) -> "PUT".equals(request.getMethod()) && request.getPath().contains("/stormy"));
		try {
			assertThatThrownBy(() -> this.provider.acquire(write("stormy", "b", "o")))
				.isInstanceOf(dev.locksmith.LockProviderUnavailableException.class)
				.hasMessageContaining("still conflicting after " + KubernetesLockProvider.MAX_ATTEMPTS + " attempts");
		}
		finally {
			server.conflictOn((request) -> false);
		}
		assertThat(server.requestCount() - start).as("one read and one write per attempt, no more")
			.isEqualTo(2 * KubernetesLockProvider.MAX_ATTEMPTS);
		assertThat(mutex("stormy").getMetadata().getResourceVersion()).isEqualTo(before);
		assertThat(this.provider.inspect("stormy").leases()).isEmpty();
	}

	/**
	 * kubectl against the mock API server: the CRD manifest goes through {@code kubectl apply --dry-run=client}
	 * and {@code kubectl create --dry-run=client -o yaml}, and the document's troubleshooting command prints the
	 * holder. Skipped where kubectl is not installed.
	 */
	@Test
	void kubectlAcceptsTheManifestAndPrintsTheHolder(@TempDir Path dir) throws Exception {
		assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "kubectl is not installed");
		Path kubeconfig = dir.resolve("config");
		Files.writeString(kubeconfig, """
				apiVersion: v1
				kind: Config
				clusters:
				- name: mock
				  cluster:
				    server: %s
				contexts:
				- name: mock
				  context: {cluster: mock, namespace: test}
				current-context: mock
				""".formatted(client.getMasterUrl().toString().replaceAll("/$", "")));
		this.provider.acquire(write("shared-resource", "a", "worker-7"));
		assertThat(kubectl(kubeconfig, "get", "mutex", "shared-resource", "-o", "jsonpath={.status.holder}"))
			.isEqualTo("worker-7");
		assertThat(kubectl(kubeconfig, "get", "mutex", "shared-resource", "-o", "jsonpath={.status.expiresAt}"))
			.isEqualTo(mutex("shared-resource").getStatus().getExpiresAt());
		assertThat(kubectl(kubeconfig, "describe", "mutex", "shared-resource")).contains("Holder:", "worker-7")
			.contains("Phase:", "Locked")
			.contains("Reason:", "MutexReady");
		// the printer columns are rendered by a real API server (server-side tables), which the mock is not
		assertThat(kubectl(kubeconfig, "get", "mutex")).contains("shared-resource");

		assertThat(kubectl(kubeconfig, "apply", "--dry-run=client", "--validate=false", "-f",
				MutexCrd.MANIFEST.toString())).contains("mutexes.locksmith.dev");
		assertThat(kubectl(kubeconfig, "create", "--dry-run=client", "--validate=false", "-o", "yaml", "-f",
				MutexCrd.MANIFEST.toString())).contains("kind: CustomResourceDefinition").contains("plural: mutexes");
	}

	private static String kubectl(Path kubeconfig, String... args) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
		command.addAll(List.of(args));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.exitValue()).as("kubectl %s: %s", String.join(" ", args), output).isZero();
		return output;
	}

	private static Mutex mutex(String name) {
		return client.resources(Mutex.class).withName(name).get();
	}

	private static LeaseRequest write(String key, String leaseId, String owner) {
		return new LeaseRequest(key, LeaseType.WRITE, leaseId, owner, Duration.ofSeconds(30), 1, 1, Map.of());
	}

}
