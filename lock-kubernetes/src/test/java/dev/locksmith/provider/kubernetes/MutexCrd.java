package dev.locksmith.provider.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The shipped Mutex CustomResourceDefinition ({@code deploy/mutex-crd.yaml}), loaded by fabric8 and installed in
 * a (mock) API server as {@code kubectl apply} would.
 */
final class MutexCrd {

	/** The manifest, relative to the module (Surefire's working directory). */
	static final Path MANIFEST = Path.of("deploy", "mutex-crd.yaml");

	private MutexCrd() {
	}

	/** Parses the manifest with fabric8's deserializer. */
	static CustomResourceDefinition load(KubernetesClient client) {
		try (InputStream in = Files.newInputStream(MANIFEST)) {
			return client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Creates the CRD in the server. */
	static void install(KubernetesClient client) {
		client.apiextensions().v1().customResourceDefinitions().resource(load(client)).create();
	}

}
