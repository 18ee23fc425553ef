package dev.locksmith.cli;

/**
 * Ends a command with an exit code and a message for standard error.
 */
final class CliException extends RuntimeException {

	private final int exitCode;

	CliException(int exitCode, String message) {
		super(message);
		this.exitCode = exitCode;
	}

	int exitCode() {
		return this.exitCode;
	}

}
