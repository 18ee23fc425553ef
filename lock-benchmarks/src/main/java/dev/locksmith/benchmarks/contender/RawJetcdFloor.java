package dev.locksmith.benchmarks.contender;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import org.jspecify.annotations.Nullable;

import dev.locksmith.benchmarks.ContenderNames;

/**
 * The etcd floor: a raw jetcd client doing {@code Txn(If createRevision(key) == 0 Then Put(key, id))} and
 * {@code Txn(If value(key) == id Then Delete(key))}, two round trips per acquire+release and nothing else
 * (no etcd lease, so no TTL; no fencing, no renewal, no waiting).
 */
public final class RawJetcdFloor implements Contender {

	private final Client client;

	private final KV kv;

	/**
	 * Connects.
	 * @param endpoint the etcd endpoint
	 */
	public RawJetcdFloor(String endpoint) {
		this.client = Client.builder().endpoints(endpoint).build();
		this.kv = this.client.getKVClient();
	}

	@Override
	public String name() {
		return ContenderNames.FLOOR_ETCD;
	}

	@Override
	public String backend() {
		return "etcd";
	}

	@Override
	public boolean canWait() {
		return false;
	}

	@Override
	public @Nullable Held acquire(String key, Duration waitTime) throws Exception {
		ByteSequence etcdKey = ByteSequence.from("floor/" + key, StandardCharsets.UTF_8);
		ByteSequence id = ByteSequence.from(UUID.randomUUID().toString(), StandardCharsets.UTF_8);
		boolean created = this.kv.txn()
			.If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
			.Then(Op.put(etcdKey, id, PutOption.DEFAULT))
			.commit()
			.get(10, TimeUnit.SECONDS)
			.isSucceeded();
		if (!created) {
			return null;
		}
		return () -> this.kv.txn()
			.If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.value(id)))
			.Then(Op.delete(etcdKey, DeleteOption.DEFAULT))
			.commit()
			.get(10, TimeUnit.SECONDS);
	}

	@Override
	public void close() {
		this.client.close();
	}

}
