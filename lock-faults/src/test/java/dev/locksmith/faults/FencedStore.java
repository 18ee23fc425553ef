package dev.locksmith.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The register the clients' critical sections write to: a small HTTP server in the orchestrator JVM on
 * 127.0.0.1 (so backend faults never reach it). A write for a key is accepted only with a fencing token
 * at least as high as the highest accepted for that key; every attempt is recorded in the store's history
 * with the time the decision was taken. Read-lock holders make fenced reads (see {@link #read}).
 *
 * <p>Protocol: {@code GET /write?key=K&token=T&lease=L&id=W[&mode=read]} answers {@code accepted} or
 * {@code rejected}.
 */
final class FencedStore implements AutoCloseable {

	private final HttpServer server;

	private final ExecutorService executor;

	private final HistoryWriter history;

	private final Map<String, Long> highestWrite = new HashMap<>();

	private final Map<String, Long> highestRead = new HashMap<>();

	/**
	 * Starts the store on a free port.
	 * @param historyFile where to record every attempt
	 */
	FencedStore(Path historyFile) {
		this.history = new HistoryWriter(historyFile, "store");
		try {
			this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the fenced store", ex);
		}
		this.executor = Executors.newFixedThreadPool(4);
		this.server.setExecutor(this.executor);
		this.server.createContext("/write", this::handle);
		this.server.start();
	}

	/**
	 * Returns the store's base URI.
	 * @return {@code http://127.0.0.1:port}
	 */
	URI uri() {
		return URI.create("http://127.0.0.1:" + this.server.getAddress().getPort());
	}

	/**
	 * Decides one write and records it.
	 * @param key the key
	 * @param token the writer's fencing token
	 * @param lease the writer's lease id
	 * @param id the write id
	 * @return {@code true} if accepted
	 */
	synchronized boolean write(String key, long token, String lease, long id) {
		boolean accepted = token >= Math.max(highest(this.highestWrite, key), highest(this.highestRead, key));
		if (accepted) {
			this.highestWrite.put(key, token);
		}
		this.history.record(0, Event.Type.INFO, "store", key, lease, token, accepted ? "accepted" : "rejected", id);
		return accepted;
	}

	/**
	 * Decides one fenced read (of a read-lock holder) and records it: accepted only with a token at least
	 * as high as the highest accepted write; it raises the bar for later writes, so that a writer whose
	 * lease ended before the reader's grant cannot write under the reader.
	 * @param key the key
	 * @param token the reader's fencing token
	 * @param lease the reader's lease id
	 * @param id the access id
	 * @return {@code true} if accepted
	 */
	synchronized boolean read(String key, long token, String lease, long id) {
		boolean accepted = token >= highest(this.highestWrite, key);
		if (accepted) {
			this.highestRead.merge(key, token, Math::max);
		}
		this.history.record(0, Event.Type.INFO, "store", key, lease, token, accepted ? "accepted" : "rejected", id);
		return accepted;
	}

	private static long highest(Map<String, Long> tokens, String key) {
		return tokens.getOrDefault(key, Long.MIN_VALUE);
	}

	private void handle(HttpExchange exchange) throws IOException {
		Map<String, String> query = new HashMap<>();
		String raw = exchange.getRequestURI().getRawQuery();
		for (String part : (raw != null) ? raw.split("&") : new String[0]) {
			int eq = part.indexOf('=');
			if (eq > 0) {
				query.put(part.substring(0, eq), part.substring(eq + 1));
			}
		}
		byte[] body;
		int status;
		try {
			String key = query.get("key");
			long token = Long.parseLong(query.get("token"));
			long id = Long.parseLong(query.get("id"));
			boolean accepted = "read".equals(query.get("mode")) ? read(key, token, query.get("lease"), id)
					: write(key, token, query.get("lease"), id);
			body = (accepted ? "accepted" : "rejected").getBytes(StandardCharsets.US_ASCII);
			status = 200;
		}
		catch (RuntimeException ex) {
			body = ("bad request: " + ex.getMessage()).getBytes(StandardCharsets.UTF_8);
			status = 400;
		}
		exchange.sendResponseHeaders(status, body.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(body);
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
		this.history.close();
	}

}
