package dev.locksmith.provider.kubernetes;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;

/**
 * {@code coordination.k8s.io/v1} Lease objects. The {@code spec} mirrors the state for Kubernetes tools:
 * {@code holderIdentity} the holders' owner ids, {@code renewTime} + {@code leaseDurationSeconds} covering the
 * latest expiry, {@code acquireTime} and {@code leaseTransitions} counting grants to a free key.
 */
final class LeaseObjects extends LockObjects<Lease> {

	@Override
	String kind() {
		return "Lease";
	}

	@Override
	NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> in(KubernetesClient client, String namespace) {
		return client.leases().inNamespace(namespace);
	}

	@Override
	Lease newObject(String name, String namespace) {
		return new LeaseBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
			.withNewSpec().endSpec().build();
	}

	@Override
	void mirror(Lease lease, List<LeaseRecord> records, long token, boolean newHolder, Instant now) {
		LeaseSpec spec = (lease.getSpec() != null) ? lease.getSpec() : new LeaseSpec();
		long nowMillis = now.toEpochMilli();
		if (records.isEmpty()) {
			spec.setHolderIdentity(null);
			spec.setLeaseDurationSeconds(null);
		}
		else {
			long latest = records.stream().mapToLong(LeaseRecord::expiresAt).max().orElse(nowMillis);
			spec.setHolderIdentity(String.join(",", records.stream().map(LeaseRecord::owner).distinct().toList()));
			spec.setLeaseDurationSeconds(
					(int) Math.min(Integer.MAX_VALUE, Math.max(1, (latest - nowMillis + 999) / 1000)));
			spec.setRenewTime(now.atZone(ZoneOffset.UTC));
		}
		if (newHolder) {
			spec.setAcquireTime(now.atZone(ZoneOffset.UTC));
			spec.setLeaseTransitions(((spec.getLeaseTransitions() != null) ? spec.getLeaseTransitions() : 0) + 1);
		}
		lease.setSpec(spec);
	}

	@Override
	boolean adopts(@Nullable String objectName, String key) {
		return false;
	}

}
