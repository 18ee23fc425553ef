package dev.locksmith.faults;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Appends events to a history file, one {@code write(2)} per line and no buffering, so that a
 * {@code kill -9} loses at most the event being written. Thread-safe.
 */
final class HistoryWriter implements AutoCloseable {

	private final OutputStream out;

	private final String process;

	/**
	 * Opens (appends to) a history file.
	 * @param file the file
	 * @param process the process name recorded in every event
	 */
	HistoryWriter(Path file, String process) {
		try {
			this.out = new FileOutputStream(file.toFile(), true);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not open history " + file, ex);
		}
		this.process = process;
	}

	/**
	 * Records an event stamped now.
	 * @param thread the recording thread
	 * @param type the type
	 * @param op the operation
	 * @param key the key
	 * @param lease the lease id or null
	 * @param token the token or 0
	 * @param value the detail or null
	 * @param id the write id or 0
	 * @return the event's time
	 */
	long record(int thread, Event.Type type, String op, String key, String lease, long token, String value, long id) {
		return record(new Event(System.nanoTime(), this.process, thread, type, op, key, lease, token, value, id));
	}

	/**
	 * Records an event as given.
	 * @param event the event
	 * @return the event's time
	 */
	synchronized long record(Event event) {
		try {
			this.out.write((event.toLine() + "\n").getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return event.time();
	}

	@Override
	public synchronized void close() {
		try {
			this.out.close();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
