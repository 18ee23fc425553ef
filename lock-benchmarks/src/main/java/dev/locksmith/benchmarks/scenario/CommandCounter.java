package dev.locksmith.benchmarks.scenario;

/**
 * Counts the commands a backend server receives from clients during a window, at the server (never by
 * trusting the client).
 */
public interface CommandCounter {

	/**
	 * Starts counting.
	 * @return the open window
	 * @throws Exception if the server cannot be reached
	 */
	Window start() throws Exception;

	/** An open counting window. */
	interface Window {

		/**
		 * Stops counting.
		 * @return the number of client commands the server executed since {@link CommandCounter#start()}
		 * @throws Exception if the server cannot be reached
		 */
		long stop() throws Exception;

		/**
		 * The commands seen, most frequent first, e.g. {@code EVALSHA×3}.
		 * @return a short description
		 */
		String breakdown();

	}

}
