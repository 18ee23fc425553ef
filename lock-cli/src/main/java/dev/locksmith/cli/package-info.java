/**
 * {@code locksmith mutex …}: a command-line mutex for shell scripts, CI jobs and Kubernetes pods,
 * talking to a Locksmith lock service over REST. A thin client: the lock service holds no state and the
 * CLI holds none either, so every command can run from a different process or machine.
 */
@NullMarked
package dev.locksmith.cli;

import org.jspecify.annotations.NullMarked;
