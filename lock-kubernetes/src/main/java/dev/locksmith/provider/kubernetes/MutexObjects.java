package dev.locksmith.provider.kubernetes;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;

/**
 * {@code locksmith.dev/v1} Mutex objects. The {@code status} mirrors the state for Kubernetes tools: the
 * holders' owner ids, the earliest grant time, the latest expiry, the phase, the last fencing token and a
 * {@code Ready} condition. The CRD has no status subresource, so the status is written in the same
 * conditional update as the annotations (with a status subresource the API server would drop it).
 */
final class MutexObjects extends LockObjects<Mutex> {

	@Override
	String kind() {
		return "Mutex";
	}

	@Override
	NonNamespaceOperation<Mutex, ? extends KubernetesResourceList<Mutex>, Resource<Mutex>> in(
			KubernetesClient client, String namespace) {
		return client.resources(Mutex.class).inNamespace(namespace);
	}

	@Override
	Mutex newObject(String name, String namespace) {
		Mutex mutex = new Mutex();
		ObjectMeta meta = new ObjectMeta();
		meta.setName(name);
		meta.setNamespace(namespace);
		mutex.setMetadata(meta);
		mutex.setSpec(new MutexSpec());
		return mutex;
	}

	@Override
	void mirror(Mutex mutex, List<LeaseRecord> records, long token, boolean newHolder, Instant now) {
		if (mutex.getSpec() == null) {
			mutex.setSpec(new MutexSpec());
		}
		MutexStatus status = (mutex.getStatus() != null) ? mutex.getStatus() : new MutexStatus();
		if (records.isEmpty()) {
			status.setHolder(null);
			status.setLockedAt(null);
			status.setExpiresAt(null);
			status.setPhase(Mutex.UNLOCKED);
		}
		else {
			status.setHolder(String.join(",", records.stream().map(LeaseRecord::owner).distinct().toList()));
			long lockedAt = records.stream().mapToLong(LeaseRecord::lockedAt).min().orElseThrow();
			long expiresAt = records.stream().mapToLong(LeaseRecord::expiresAt).max().orElseThrow();
			status.setLockedAt(Instant.ofEpochMilli(lockedAt).toString());
			status.setExpiresAt(Instant.ofEpochMilli(expiresAt).toString());
			status.setPhase(Mutex.LOCKED);
		}
		status.setFencingToken(token);
		status.setConditions(ready(status.getConditions(), now));
		mutex.setStatus(status);
	}

	/** The conditions with a Ready=True condition (kept as it was if there already is one). */
	private static List<Condition> ready(List<Condition> conditions, Instant now) {
		for (Condition condition : conditions) {
			if ("Ready".equals(condition.getType()) && "True".equals(condition.getStatus())) {
				return conditions;
			}
		}
		List<Condition> next = new ArrayList<>();
		for (Condition condition : conditions) {
			if (!"Ready".equals(condition.getType())) {
				next.add(condition);
			}
		}
		next.add(new ConditionBuilder().withType("Ready").withStatus("True").withReason("MutexReady")
			.withMessage("managed by Locksmith").withLastTransitionTime(now.truncatedTo(ChronoUnit.SECONDS).toString()).build());
		return next;
	}

	@Override
	boolean adopts(@Nullable String objectName, String key) {
		return key.equals(objectName);
	}

}
