package dev.locksmith.provider.etcd;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;

/**
 * The value stored at a lease key: lease id, owner, type, permits, grant time and metadata. The bytes of
 * one lease never change while it lives (a TTL change re-attaches the same bytes to another etcd lease),
 * so release and extend compare the whole value, which is unique because it holds the lease id.
 *
 * @param leaseId the lease id
 * @param owner the owner id
 * @param type the lease type
 * @param permits the permits held (1 for read and write)
 * @param lockedAtMillis when the granting client sent the request, by that client's clock (display only)
 * @param metadata the metadata
 */
record LeaseRecord(String leaseId, String owner, LeaseType type, int permits, long lockedAtMillis,
		Map<String, String> metadata) {

	private static final int FORMAT = 1;

	LeaseRecord {
		metadata = Map.copyOf(metadata);
	}

	byte[] encode() {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			out.writeByte(FORMAT);
			writeString(out, this.leaseId);
			writeString(out, this.owner);
			out.writeByte(this.type.ordinal());
			out.writeInt(this.permits);
			out.writeLong(this.lockedAtMillis);
			out.writeInt(this.metadata.size());
			for (Map.Entry<String, String> entry : new java.util.TreeMap<>(this.metadata).entrySet()) {
				writeString(out, entry.getKey());
				writeString(out, entry.getValue());
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		return bytes.toByteArray();
	}

	/**
	 * Decodes a stored value.
	 * @param value the bytes
	 * @return the record
	 * @throws IllegalStateException if the bytes are not a lease record of this format
	 */
	static LeaseRecord decode(byte[] value) {
		try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
			int format = in.readUnsignedByte();
			if (format != FORMAT) {
				throw new IllegalStateException("Unknown etcd lease record format " + format);
			}
			String leaseId = readString(in);
			String owner = readString(in);
			LeaseType type = LeaseType.values()[in.readUnsignedByte()];
			int permits = in.readInt();
			long lockedAt = in.readLong();
			int size = in.readInt();
			Map<String, String> metadata = new LinkedHashMap<>();
			for (int i = 0; i < size; i++) {
				metadata.put(readString(in), readString(in));
			}
			return new LeaseRecord(leaseId, owner, type, permits, lockedAt, metadata);
		}
		catch (IOException | RuntimeException ex) {
			throw new IllegalStateException("Not a Locksmith lease record (" + value.length + " bytes)", ex);
		}
	}

	LeaseInfo toInfo(long fencingToken, Instant expiresAt) {
		return new LeaseInfo(this.leaseId, this.owner, this.type, this.permits, fencingToken,
				Instant.ofEpochMilli(this.lockedAtMillis), expiresAt, this.metadata);
	}

	/**
	 * Returns the encoded size of the metadata, for the size limit.
	 * @param metadata the metadata
	 * @return bytes
	 */
	static int metadataBytes(Map<String, String> metadata) {
		int total = 0;
		for (Map.Entry<String, String> entry : metadata.entrySet()) {
			total += 8 + utf8Length(entry.getKey()) + utf8Length(entry.getValue());
		}
		return total;
	}

	static int utf8Length(String text) {
		return text.getBytes(StandardCharsets.UTF_8).length;
	}

	private static void writeString(DataOutputStream out, String text) throws IOException {
		byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
		out.writeInt(utf8.length);
		out.write(utf8);
	}

	private static String readString(DataInputStream in) throws IOException {
		int length = in.readInt();
		if (length < 0 || length > in.available()) {
			throw new IOException("bad string length " + length);
		}
		return new String(in.readNBytes(length), StandardCharsets.UTF_8);
	}

}
