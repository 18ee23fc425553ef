package dev.locksmith.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.jspecify.annotations.Nullable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import dev.locksmith.LockDurations;

/**
 * {@code locksmith mutex …}: a mutex for shell scripts, backed by a Locksmith lock service.
 *
 * <pre>
 * locksmith mutex lock NAME --holder H [--timeout 30s] [--ttl 10m]   exit 0 when held, 1 when not
 * locksmith mutex unlock NAME --holder H                              exit 0 when released, 1 when H does not hold it
 * locksmith mutex get NAME                                            the mutex's status
 * locksmith mutex list                                                every locked mutex
 * locksmith mutex run NAME --holder H [--timeout D] [--ttl D] -- command args…
 * locksmith mutex create NAME --ttl D --kubernetes                    a Mutex object with a default TTL
 * </pre>
 *
 * <p>With {@code --kubernetes} (or {@code LOCKSMITH_KUBERNETES=true}) the commands talk to the Kubernetes API
 * server directly instead of a lock service, on {@code locksmith.dev/v1} Mutex objects in {@code --namespace}
 * (default {@code $LOCKSMITH_NAMESPACE}, else the kubeconfig context's or the pod's own), through the kubeconfig
 * ({@code --kubeconfig}, else {@code $KUBECONFIG}, else {@code ~/.kube/config}) or the pod's service account;
 * see {@link KubernetesMutexClient}.
 *
 * Options {@code --server URL} (default {@code $LOCKSMITH_SERVER}, else {@code http://localhost:8080}) and
 * {@code --token T} (default {@code $LOCKSMITH_TOKEN}) are accepted before {@code mutex} and on every
 * command. Exit codes: 0 success, 1 not acquired / not held, 2 bad usage, 3 lock service unreachable or
 * failing; {@code run} exits with its command's code, or {@value MutexRunCommand#LEASE_LOST} when the lease
 * was lost while the command ran. Durations follow {@link LockDurations} (a bare number means seconds).
 *
 * <p>Without {@code --timeout}, {@code lock} waits until the mutex is free; {@code --timeout 0} tries once.
 * Waiting happens on the server, which wakes the caller when the holder releases (no polling). A holder
 * that locks a mutex it already holds succeeds at once and keeps that lease, which then expires
 * {@code --ttl} (else the server's default TTL) from now: two runs that share a holder name share the
 * mutex, so give every run its own holder ({@code --holder "$HOSTNAME-$$"}). Names and holders are
 * trimmed and NFC-normalised; invisible characters are refused (exit 2).
 */
public final class LocksmithCli {

	static final String EXIT_CODES = """
			Exit codes:
			  0  ok
			  1  not acquired / not held
			  2  bad usage
			  3  lock service (or Kubernetes API server) unreachable or failing
			  75 (mutex run) the lease was lost while the command ran
			  (mutex run) otherwise the command's own exit code""";

	private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

	private final PrintStream out;

	private final PrintStream err;

	private final Map<String, String> environment;

	/** The clients the command opened, closed when it ends. */
	private final List<MutexClient> opened = new ArrayList<>();

	LocksmithCli(PrintStream out, PrintStream err, Map<String, String> environment) {
		this.out = out;
		this.err = err;
		this.environment = environment;
	}

	/**
	 * Runs the CLI and exits with its exit code.
	 * @param args the command line
	 */
	public static void main(String[] args) {
		// the Kubernetes client's and provider's logs stay off stderr, which is the script's; turn them on with
		// LOCKSMITH_JAVA_OPTS=-Dorg.slf4j.simpleLogger.defaultLogLevel=debug
		if (System.getProperty(LOG_LEVEL) == null) {
			System.setProperty(LOG_LEVEL, "off");
		}
		System.exit(new LocksmithCli(System.out, System.err, System.getenv()).run(args));
	}

	/**
	 * Runs one command.
	 * @param args the command line
	 * @return the exit code
	 */
	int run(String... args) {
		try {
			return commandLine().execute(args);
		}
		finally {
			this.opened.forEach(MutexClient::close);
			this.opened.clear();
		}
	}

	/** The command tree, printing to this CLI's streams. */
	CommandLine commandLine() {
		Root root = new Root();
		CommandLine mutex = new CommandLine(new Mutex())
			.addSubcommand(new MutexLockCommand(root))
			.addSubcommand(new MutexUnlockCommand(root))
			.addSubcommand(new MutexGetCommand(root))
			.addSubcommand(new MutexListCommand(root))
			.addSubcommand(new MutexRunCommand(root))
			.addSubcommand(new MutexCreateCommand(root));
		CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
		completion.getCommandSpec().usageMessage().hidden(false).synopsisHeading("usage: ");
		CommandLine commandLine = new CommandLine(root).addSubcommand(mutex).addSubcommand(completion);
		commandLine.setOut(new PrintWriter(this.out, true, StandardCharsets.UTF_8));
		commandLine.setErr(new PrintWriter(this.err, true, StandardCharsets.UTF_8));
		commandLine.setParameterExceptionHandler((ex, arguments) -> {
			this.err.println("locksmith: " + ex.getMessage());
			ex.getCommandLine().usage(this.err);
			return 2;
		});
		commandLine.setExecutionExceptionHandler((ex, command, parseResult) -> {
			if (!(ex instanceof CliException failure)) {
				throw ex;
			}
			this.err.println("locksmith: " + failure.getMessage());
			if (failure.exitCode() == 2) {
				this.err.println("see '" + command.getCommandSpec().qualifiedName() + " --help'");
			}
			return failure.exitCode();
		});
		return commandLine;
	}

	/**
	 * Parses a duration option with the grammar shared with the lock service.
	 * @param option the option, for the message
	 * @param text the option's value
	 * @return the duration
	 * @throws CliException (exit 2) if the text is not a duration
	 */
	static Duration parseDuration(String option, String text) {
		try {
			return LockDurations.parse(text);
		}
		catch (IllegalArgumentException ex) {
			throw new CliException(2, option + ": " + ex.getMessage());
		}
	}

	/**
	 * {@code --server}, {@code --token}, {@code --kubernetes}, {@code --namespace} and {@code --kubeconfig},
	 * accepted before {@code mutex} and on every command.
	 */
	static final class ServiceOptions {

		@Option(names = "--kubernetes",
				description = "talk to the Kubernetes API server (Mutex objects) instead of a lock service "
						+ "(default: $LOCKSMITH_KUBERNETES)")
		@Nullable Boolean kubernetes;

		@Option(names = { "-n", "--namespace" }, paramLabel = "NAMESPACE",
				description = "with --kubernetes: the namespace of the mutexes (default: $LOCKSMITH_NAMESPACE, else "
						+ "the kubeconfig context's or the pod's)")
		@Nullable String namespace;

		@Option(names = "--kubeconfig", paramLabel = "FILE",
				description = "with --kubernetes: the kubeconfig (default: $KUBECONFIG, else ~/.kube/config, else "
						+ "the pod's service account)")
		@Nullable String kubeconfig;

		@Option(names = "--server", paramLabel = "URL",
				description = "the lock service (default: $LOCKSMITH_SERVER, else http://localhost:8080)")
		@Nullable String server;

		@Option(names = "--token", paramLabel = "TOKEN", description = "bearer token (default: $LOCKSMITH_TOKEN)")
		@Nullable String token;

	}

	/** {@code locksmith}: the root command, holding the options given before {@code mutex}. */
	@Command(name = "locksmith", mixinStandardHelpOptions = true, versionProvider = Version.class,
			synopsisHeading = "usage: ", synopsisSubcommandLabel = "COMMAND",
			description = "A command-line mutex backed by a Locksmith lock service or, with --kubernetes, the "
					+ "Kubernetes API server.",
			footer = "%n" + EXIT_CODES)
	final class Root implements Callable<Integer> {

		@Mixin
		ServiceOptions service = new ServiceOptions();

		@Spec
		@Nullable CommandSpec spec;

		@Override
		public Integer call() {
			throw new ParameterException(spec().commandLine(), "missing a resource (mutex)");
		}

		private CommandSpec spec() {
			if (this.spec == null) {
				throw new IllegalStateException("picocli did not inject the command spec");
			}
			return this.spec;
		}

		/**
		 * A client for the lock service named by the command's options, else by this root's, else by the
		 * environment.
		 */
		MutexClient client(ServiceOptions command) {
			MutexClient client = kubernetes(command) ? kubernetesClient(command) : serviceClient(command);
			LocksmithCli.this.opened.add(client);
			return client;
		}

		private boolean kubernetes(ServiceOptions command) {
			Boolean flag = (command.kubernetes != null) ? command.kubernetes : this.service.kubernetes;
			if (flag != null) {
				return flag;
			}
			String variable = LocksmithCli.this.environment.get("LOCKSMITH_KUBERNETES");
			return variable != null && (variable.equalsIgnoreCase("true") || variable.equals("1"));
		}

		private MutexClient serviceClient(ServiceOptions command) {
			String server = option("--server", command.server, this.service.server, "LOCKSMITH_SERVER");
			String token = option("--token", command.token, this.service.token, "LOCKSMITH_TOKEN");
			return new LockServiceClient((server != null) ? server : "http://localhost:8080", token);
		}

		private MutexClient kubernetesClient(ServiceOptions command) {
			if (command.server != null || this.service.server != null) {
				throw new CliException(2, "--server and --kubernetes exclude each other");
			}
			String namespace = option("--namespace", command.namespace, this.service.namespace,
					"LOCKSMITH_NAMESPACE");
			String kubeconfig = option("--kubeconfig", command.kubeconfig, this.service.kubeconfig, "KUBECONFIG");
			return KubernetesConnection.open(kubeconfig, namespace);
		}

		private @Nullable String option(String name, @Nullable String command, @Nullable String root,
				String variable) {
			String value = (command != null) ? command : root;
			if (value != null && value.isBlank()) {
				throw new CliException(2, name + " must not be blank");
			}
			return (value != null) ? value : LocksmithCli.this.environment.get(variable);
		}

		PrintStream out() {
			return LocksmithCli.this.out;
		}

		PrintStream err() {
			return LocksmithCli.this.err;
		}

	}

	/** {@code locksmith mutex}: the mutex commands. */
	@Command(name = "mutex", mixinStandardHelpOptions = true, versionProvider = Version.class,
			synopsisHeading = "usage: ", synopsisSubcommandLabel = "COMMAND",
			description = "Lock, unlock, inspect and list mutexes, or run a command holding one.",
			footer = "%n" + EXIT_CODES)
	static final class Mutex implements Callable<Integer> {

		@Spec
		@Nullable CommandSpec spec;

		@Override
		public Integer call() {
			if (this.spec == null) {
				throw new IllegalStateException("picocli did not inject the command spec");
			}
			throw new ParameterException(this.spec.commandLine(), "missing a command");
		}

	}

	/** The version, from the build. */
	static final class Version implements CommandLine.IVersionProvider {

		@Override
		public String[] getVersion() throws IOException {
			Properties properties = new Properties();
			try (InputStream in = LocksmithCli.class.getResourceAsStream("version.properties")) {
				if (in != null) {
					properties.load(in);
				}
			}
			return new String[] { "locksmith " + properties.getProperty("version", "unknown"),
					"Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")" };
		}

	}

}
