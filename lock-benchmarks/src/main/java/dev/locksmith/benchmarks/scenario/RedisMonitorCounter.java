package dev.locksmith.benchmarks.scenario;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * Counts client commands with Redis {@code MONITOR}: every line is one command the server executed;
 * lines tagged {@code [db lua]} are commands run inside a script and are not round trips, so they are
 * skipped. (A pipelined batch of N commands still counts N.)
 */
public final class RedisMonitorCounter implements CommandCounter {

	private final int port;

	/**
	 * Creates a counter for the Redis server on 127.0.0.1.
	 * @param port the server port
	 */
	public RedisMonitorCounter(int port) {
		this.port = port;
	}

	@Override
	public Window start() throws IOException {
		Socket socket = new Socket("127.0.0.1", this.port);
		OutputStream out = socket.getOutputStream();
		out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
		out.flush();
		BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
		String ok = in.readLine();
		if (!"+OK".equals(ok)) {
			socket.close();
			throw new IOException("MONITOR answered " + ok);
		}
		AtomicLong count = new AtomicLong();
		Map<String, LongAdder> byCommand = new ConcurrentHashMap<>();
		Thread reader = new Thread(() -> {
			try {
				String line;
				while ((line = in.readLine()) != null) {
					int open = line.indexOf('[');
					int close = line.indexOf(']', open + 1);
					if (open < 0 || close < 0 || line.substring(open, close).endsWith(" lua")) {
						continue;
					}
					count.incrementAndGet();
					int quote = line.indexOf('"', close);
					int end = line.indexOf('"', quote + 1);
					String command = (quote >= 0 && end > quote) ? line.substring(quote + 1, end).toUpperCase() : "?";
					byCommand.computeIfAbsent(command, (c) -> new LongAdder()).increment();
				}
			}
			catch (IOException ex) {
				// socket closed by stop()
			}
		}, "redis-monitor");
		reader.setDaemon(true);
		reader.start();
		return new Window() {

			@Override
			public long stop() throws Exception {
				long result = count.get();
				socket.close();
				reader.join(1000);
				return result;
			}

			@Override
			public String breakdown() {
				return byCommand.entrySet()
					.stream()
					.sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
					.limit(4)
					.map((e) -> e.getKey() + "×" + e.getValue().sum())
					.collect(Collectors.joining(" "));
			}

		};
	}

}
