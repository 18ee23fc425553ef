package dev.locksmith.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 between one client and a backend port, whose faults the suite switches:
 * added latency, dropping everything (blackhole, connections stay open), dropping one direction only, and
 * resetting every connection. Dropped bytes are read and discarded, as a lossy network would.
 */
final class TcpProxy implements AutoCloseable {

	/** What the proxy does to traffic. */
	enum Mode {

		/** Forwards everything. */
		PASS,

		/** Delays every chunk by the latency. */
		LATENCY,

		/** Drops everything in both directions. */
		BLACKHOLE,

		/** Drops client-to-server traffic only: requests vanish, the server's pushes still arrive. */
		DROP_REQUESTS,

		/** Drops server-to-client traffic only: requests are applied, their replies are lost. */
		DROP_REPLIES

	}

	private final ServerSocket server;

	private final int targetPort;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

	private volatile Mode mode = Mode.PASS;

	private volatile long latencyMillis;

	private volatile boolean closed;

	/**
	 * Starts a proxy on a free port.
	 * @param targetPort the backend port on 127.0.0.1
	 */
	TcpProxy(int targetPort) {
		this.targetPort = targetPort;
		try {
			this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start a proxy", ex);
		}
		spawn("proxy-accept-" + port(), this::acceptLoop);
	}

	/**
	 * Returns the port clients connect to.
	 * @return the port
	 */
	int port() {
		return this.server.getLocalPort();
	}

	/**
	 * Switches the fault.
	 * @param mode the mode
	 * @param latencyMillis the delay for {@link Mode#LATENCY}
	 */
	void set(Mode mode, long latencyMillis) {
		this.latencyMillis = latencyMillis;
		this.mode = mode;
	}

	/**
	 * Resets every open connection (RST), as a crashed middlebox would; new connections still work.
	 */
	void resetConnections() {
		for (Socket socket : this.sockets) {
			try {
				socket.setSoLinger(true, 0);
				socket.close();
			}
			catch (IOException ex) {
				// already closed
			}
		}
		this.sockets.clear();
	}

	private void acceptLoop() {
		while (!this.closed) {
			try {
				Socket client = this.server.accept();
				Socket backend = new Socket();
				backend.connect(new InetSocketAddress("127.0.0.1", this.targetPort), 2000);
				client.setTcpNoDelay(true);
				backend.setTcpNoDelay(true);
				this.sockets.add(client);
				this.sockets.add(backend);
				spawn("proxy-up-" + client.getPort(), () -> pump(client, backend, true));
				spawn("proxy-down-" + client.getPort(), () -> pump(backend, client, false));
			}
			catch (IOException ex) {
				if (this.closed) {
					return;
				}
			}
		}
	}

	private void pump(Socket from, Socket to, boolean request) {
		byte[] buffer = new byte[16 * 1024];
		try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
			int read;
			while ((read = in.read(buffer)) >= 0) {
				Mode current = this.mode;
				if (current == Mode.BLACKHOLE || (current == Mode.DROP_REQUESTS && request)
						|| (current == Mode.DROP_REPLIES && !request)) {
					continue;
				}
				if (current == Mode.LATENCY) {
					Thread.sleep(this.latencyMillis);
				}
				out.write(buffer, 0, read);
				out.flush();
			}
		}
		catch (IOException | InterruptedException ex) {
			// connection reset or closed: close the other side too
		}
		finally {
			closeQuietly(from);
			closeQuietly(to);
			this.sockets.remove(from);
			this.sockets.remove(to);
			this.threads.remove(Thread.currentThread());
		}
	}

	private void spawn(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		this.threads.add(thread);
		thread.start();
	}

	private static void closeQuietly(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// nothing to do
		}
	}

	@Override
	public void close() {
		this.closed = true;
		try {
			this.server.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
		resetConnections();
		this.threads.forEach(Thread::interrupt);
	}

}
