package dev.locksmith.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.locksmith.provider.kubernetes.Mutex;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI straight against a Kubernetes API server ({@code --kubernetes}): fabric8's mock server in CRUD mode,
 * reached through a kubeconfig file as in a real cluster. The document's commands ({@code create --ttl},
 * {@code lock --holder --timeout}, try-lock with {@code --timeout 0}, {@code unlock}, {@code list}) work on Mutex
 * objects that a Boot application and {@code kubectl get mutex} see too.
 */
class KubernetesCliTests {

	private static KubernetesMockServer server;

	private static KubernetesClient client;

	@TempDir
	static Path dir;

	private static Path kubeconfig;

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	private final ByteArrayOutputStream err = new ByteArrayOutputStream();

	@BeforeAll
	static void start() throws IOException {
		server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
				new KubernetesCrudDispatcher(), false);
		server.init();
		client = server.createClient();
		kubeconfig = dir.resolve("config");
		Files.writeString(kubeconfig, """
				apiVersion: v1
				kind: Config
				clusters:
				- name: mock
				  cluster:
				    server: %s
				contexts:
				- name: mock
				  context: {cluster: mock, namespace: jobs}
				current-context: mock
				""".formatted(client.getMasterUrl().toString().replaceAll("/$", "")));
	}

	@AfterAll
	static void stop() {
		client.close();
		server.destroy();
	}

	private int cli(String... args) {
		return cli(Map.of("KUBECONFIG", kubeconfig.toString()), args);
	}

	private int cli(Map<String, String> environment, String... args) {
		this.out.reset();
		this.err.reset();
		return new LocksmithCli(new PrintStream(this.out, true, StandardCharsets.UTF_8),
				new PrintStream(this.err, true, StandardCharsets.UTF_8), environment).run(args);
	}

	private String out() {
		return this.out.toString(StandardCharsets.UTF_8);
	}

	private String err() {
		return this.err.toString(StandardCharsets.UTF_8);
	}

	private static Mutex mutex(String namespace, String name) {
		return client.resources(Mutex.class).inNamespace(namespace).withName(name).get();
	}

	@Test
	void theDocumentsCommandsOnMutexObjects() {
		assertThat(cli("mutex", "create", "db-migration", "--ttl", "15m", "--kubernetes")).isZero();
		assertThat(out()).contains("mutex/db-migration created (ttl 15m)");
		assertThat(mutex("jobs", "db-migration").getSpec().getTtl()).isEqualTo("15m");
		assertThat(cli("mutex", "create", "db-migration", "--ttl", "15m", "--kubernetes")).isEqualTo(1);
		assertThat(err()).contains("already exists");

		assertThat(cli("--kubernetes", "mutex", "lock", "db-migration", "--holder", "migrate-db-a", "--timeout", "30s"))
			.isZero();
		assertThat(out()).contains("mutex/db-migration locked by migrate-db-a").contains("fencing token 1");
		Mutex locked = mutex("jobs", "db-migration");
		assertThat(locked.getStatus().getHolder()).isEqualTo("migrate-db-a");
		assertThat(locked.getStatus().getPhase()).isEqualTo(Mutex.LOCKED);
		assertThat(Duration.between(Instant.parse(locked.getStatus().getLockedAt()),
				Instant.parse(locked.getStatus().getExpiresAt())))
			.as("lock without --ttl takes spec.ttl").isEqualTo(Duration.ofMinutes(15));

		assertThat(cli("mutex", "lock", "db-migration", "--holder", "migrate-db-b", "--timeout", "0", "--kubernetes"))
			.as("try-lock").isEqualTo(1);
		assertThat(err()).contains("locked by migrate-db-a");
		assertThat(cli("mutex", "lock", "db-migration", "--holder", "migrate-db-a", "--timeout", "0", "--kubernetes"))
			.as("the holder locking again succeeds").isZero();
		assertThat(cli("mutex", "unlock", "db-migration", "--holder", "migrate-db-b", "--kubernetes")).isEqualTo(1);
		assertThat(err()).contains("locked by migrate-db-a, not migrate-db-b");
		assertThat(cli("mutex", "get", "db-migration", "--kubernetes")).isZero();
		assertThat(out()).contains("phase: Locked").contains("holder: migrate-db-a").contains("fencingToken: 1");

		assertThat(cli("mutex", "create", "file-writer", "--ttl", "5m", "--kubernetes")).isZero();
		assertThat(cli("mutex", "list", "--kubernetes")).isZero();
		assertThat(out()).containsPattern("db-migration\\s+Locked\\s+migrate-db-a")
			.containsPattern("file-writer\\s+Unlocked");

		assertThat(cli("mutex", "unlock", "db-migration", "--holder", "migrate-db-a", "--kubernetes")).isZero();
		assertThat(mutex("jobs", "db-migration").getStatus().getPhase()).isEqualTo(Mutex.UNLOCKED);
		assertThat(cli("mutex", "get", "db-migration", "--kubernetes")).isZero();
		assertThat(out()).contains("phase: Unlocked");
		assertThat(cli("mutex", "lock", "db-migration", "--holder", "migrate-db-b", "--timeout", "0", "--kubernetes"))
			.isZero();
		assertThat(out()).as("tokens increase across holders").contains("fencing token 2");
	}

	/**
	 * With a 10-minute TTL and a 60 s timeout, the waiter can only get the mutex in time if the release wakes it
	 * (the provider's watch), not the holder's expiry.
	 */
	@Test
	void aWaitingLockIsWokenWhenTheHolderUnlocks() throws Exception {
		assertThat(cli("mutex", "lock", "shared-resource", "--holder", "worker-1", "--ttl", "10m", "--kubernetes"))
			.isZero();
		int before = server.getRequestCount();
		ByteArrayOutputStream waiterOut = new ByteArrayOutputStream();
		CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> new LocksmithCli(
				new PrintStream(waiterOut, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()),
				Map.of("KUBECONFIG", kubeconfig.toString(), "LOCKSMITH_KUBERNETES", "true"))
			.run("mutex", "lock", "shared-resource", "--holder", "worker-2", "--timeout", "60s"));
		// the waiter has started its watch, read the API server's time and the Mutex's spec.ttl, been denied and
		// read the holder: it waits
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
			.until(() -> server.getRequestCount() >= before + 5);
		assertThat(waiter).isNotDone();
		assertThat(cli("mutex", "unlock", "shared-resource", "--holder", "worker-1", "--kubernetes")).isZero();
		assertThat(waiter.get(30, TimeUnit.SECONDS)).isZero();
		assertThat(waiterOut.toString(StandardCharsets.UTF_8)).contains("locked by worker-2");
		assertThat(mutex("jobs", "shared-resource").getStatus().getHolder()).isEqualTo("worker-2");
	}

	@Test
	void runHoldsTheMutexWhileTheCommandRunsAndExtendsIt() {
		// the command outlives the TTL twice: the lease must be extended
		assertThat(cli("mutex", "run", "app-init", "--holder", "init-1", "--ttl", "1500ms", "--kubernetes", "--", "sh",
				"-c", "sleep 3; exit 7"))
			.isEqualTo(7);
		assertThat(err()).doesNotContain("lost the lease");
		assertThat(mutex("jobs", "app-init").getStatus().getPhase()).isEqualTo(Mutex.UNLOCKED);
	}

	@Test
	void namespaceAndModeFromTheEnvironmentAndOptions() {
		Map<String, String> environment = Map.of("KUBECONFIG", kubeconfig.toString(), "LOCKSMITH_KUBERNETES", "true",
				"LOCKSMITH_NAMESPACE", "other");
		assertThat(cli(environment, "mutex", "lock", "config-update", "--holder", "h", "--timeout", "0")).isZero();
		assertThat(mutex("other", "config-update").getStatus().getHolder()).isEqualTo("h");
		assertThat(cli(environment, "mutex", "lock", "config-update", "--holder", "h2", "--timeout", "0", "-n",
				"third"))
			.as("another namespace, another mutex").isZero();
		assertThat(mutex("third", "config-update").getStatus().getHolder()).isEqualTo("h2");
		assertThat(cli(environment, "mutex", "get", "config-update", "--kubernetes=false", "--server",
				"http://127.0.0.1:9"))
			.as("--kubernetes=false goes to the lock service").isEqualTo(3);
		assertThat(cli("mutex", "get", "x", "--kubernetes", "--server", "http://127.0.0.1:9")).isEqualTo(2);
		assertThat(err()).contains("--server and --kubernetes exclude each other");
		assertThat(cli("mutex", "create", "Orders:42", "--ttl", "1m", "--kubernetes")).isEqualTo(2);
		assertThat(err()).contains("DNS-1123");
		assertThat(cli("mutex", "create", "orders", "--ttl", "1m")).as("no mutex objects in a lock service")
			.isEqualTo(2);
		assertThat(err()).contains("needs --kubernetes");
	}

	/**
	 * SIGTERM to a CLI in its own JVM: the shutdown hook stops the command and releases the Mutex, also when the
	 * main thread returns (the command has exited) while the hook is still releasing.
	 */
	@Test
	void sigtermToTheCliReleasesTheMutex(@TempDir Path work) throws Exception {
		Path started = work.resolve("started");
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
				LocksmithCli.class.getName(), "--kubernetes", "mutex", "run", "signalled", "--holder", "process",
				"--ttl", "1h", "--", "sh", "-c",
				"trap 'exit 143' TERM; touch '" + started + "'; while true; do sleep 0.1; done")
			.redirectOutput(work.resolve("cli.out").toFile())
			.redirectError(work.resolve("cli.err").toFile());
		builder.environment().put("KUBECONFIG", kubeconfig.toString());
		Process cli = builder.start();
		try {
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(started));
			assertThat(mutex("jobs", "signalled").getStatus().getPhase()).isEqualTo(Mutex.LOCKED);
			cli.destroy(); // SIGTERM
			assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(mutex("jobs", "signalled").getStatus().getPhase())
				.as("released, not left to its 1 h TTL; stderr: %s", Files.readString(work.resolve("cli.err")))
				.isEqualTo(Mutex.UNLOCKED);
		}
		finally {
			cli.destroyForcibly();
		}
	}

	/**
	 * {@code mutex run} without {@code --ttl} schedules its extensions by the TTL it was granted ({@code spec.ttl}
	 * then); an edit of {@code spec.ttl} while it runs must not make an extension grant less, or the lease would
	 * expire between two extensions while the command still runs.
	 */
	@Test
	void runWithoutTtlKeepsItsGrantedTtlWhenSpecTtlIsEditedWhileItRuns(@TempDir Path work) throws Exception {
		assertThat(cli("mutex", "create", "report", "--ttl", "6s", "--kubernetes")).isZero();
		Path go = work.resolve("go");
		Path started = work.resolve("started");
		ByteArrayOutputStream runErr = new ByteArrayOutputStream();
		CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> new LocksmithCli(
				new PrintStream(new ByteArrayOutputStream()), new PrintStream(runErr, true, StandardCharsets.UTF_8),
				Map.of("KUBECONFIG", kubeconfig.toString(), "LOCKSMITH_KUBERNETES", "true"))
			.run("mutex", "run", "report", "--holder", "runner", "--", "sh", "-c",
					"touch '" + started + "'; while [ ! -e '" + go + "' ]; do sleep 0.05; done"));
		try {
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started));
			Mutex mutex = mutex("jobs", "report");
			mutex.getSpec().setTtl("100ms");
			client.resources(Mutex.class).inNamespace("jobs").resource(mutex).update();
			// extensions come every 2 s; the key must stay held throughout (try-locks by another holder fail)
			java.util.concurrent.atomic.AtomicInteger intruder = new java.util.concurrent.atomic.AtomicInteger();
			try {
				org.awaitility.Awaitility.await()
					.during(Duration.ofSeconds(5))
					.atMost(Duration.ofSeconds(10))
					.pollInterval(Duration.ofMillis(200))
					.pollInSameThread()
					.until(() -> {
						intruder.set(cli("mutex", "lock", "report", "--holder", "intruder", "--timeout", "0",
								"--kubernetes"));
						return intruder.get() == 1;
					});
			}
			catch (org.awaitility.core.ConditionTimeoutException ex) {
				throw new AssertionError("another holder's try-lock exited " + intruder.get()
						+ " while the command ran: " + out() + err() + "; run: " + runErr, ex);
			}
		}
		finally {
			Files.createFile(go);
		}
		assertThat(run.get(30, TimeUnit.SECONDS)).isZero();
	}

	@Test
	void createRefusesNamesThatCannotNameAMutexWithExit2() {
		assertThat(cli("mutex", "create", "x".repeat(2000), "--ttl", "1m", "--kubernetes")).isEqualTo(2);
		assertThat(err()).contains("DNS-1123");
		assertThat(cli("mutex", "lock", "x".repeat(2000), "--holder", "h", "--timeout", "0", "--kubernetes"))
			.isEqualTo(2);
		assertThat(err()).contains("1 to 1024 characters");
		assertThat(cli("mutex", "create", "locksmith-jobs", "--ttl", "1m", "--kubernetes")).isEqualTo(2);
		assertThat(err()).contains("DNS-1123");
		assertThat(cli("mutex", "create", "-jobs", "--ttl", "1m", "--kubernetes")).isEqualTo(2);
		assertThat(cli("mutex", "create", "jobs", "--ttl", "soon", "--kubernetes")).isEqualTo(2);
		assertThat(err()).contains("--ttl");
	}

	@Test
	void kubernetesDurations() {
		assertThat(KubernetesMutexClient.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
		assertThat(KubernetesMutexClient.parse("500ms")).isEqualTo(Duration.ofMillis(500));
		assertThat(KubernetesMutexClient.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
		assertThat(KubernetesMutexClient.parse("10")).isNull();
		assertThat(KubernetesMutexClient.parse("10x")).isNull();
		assertThat(KubernetesMutexClient.parse("")).isNull();
		assertThat(KubernetesMutexClient.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
		assertThat(KubernetesMutexClient.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
		assertThat(KubernetesMutexClient.format(Duration.ofMinutes(10))).isEqualTo("10m");
	}

}
