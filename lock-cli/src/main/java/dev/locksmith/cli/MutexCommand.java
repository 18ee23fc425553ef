package dev.locksmith.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Mixin;

/**
 * A {@code locksmith mutex …} command: its {@code --server}/{@code --token} options and the root command
 * that holds the defaults and the output streams.
 */
abstract class MutexCommand implements Callable<Integer> {

	@Mixin
	LocksmithCli.ServiceOptions service = new LocksmithCli.ServiceOptions();

	final LocksmithCli.Root root;

	MutexCommand(LocksmithCli.Root root) {
		this.root = root;
	}

	MutexClient client() {
		return this.root.client(this.service);
	}

}
