package dev.locksmith.boot.aop;

import java.util.concurrent.locks.ReentrantLock;

import dev.locksmith.LockHandle;
import dev.locksmith.engine.LockEngine;

/**
 * Interrupts the thread running a locked method when the lease is lost, but only while the method runs
 * ({@link dev.locksmith.boot.annotation.OnLost#INTERRUPT}).
 */
final class Interrupter implements Runnable {

	private final Thread thread = Thread.currentThread();

	private final ReentrantLock lock = new ReentrantLock();

	private boolean running = true;

	private boolean fired;

	private Interrupter() {
	}

	/**
	 * Arms an interrupter for the calling thread on {@code handle}.
	 */
	static Interrupter arm(LockHandle handle) {
		Interrupter interrupter = new Interrupter();
		// not in the onLost pool: user callbacks blocking every thread of it must not delay the interrupt
		LockEngine.onLostSignal(handle, interrupter);
		return interrupter;
	}

	@Override
	public void run() {
		this.lock.lock();
		try {
			if (this.running) {
				this.fired = true;
				this.thread.interrupt();
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Stops interrupting; call on the method's thread after it returned. Clears the interrupt flag this
	 * interrupter set.
	 * @return whether the thread was interrupted because the lease was lost
	 */
	boolean disarm() {
		this.lock.lock();
		try {
			this.running = false;
		}
		finally {
			this.lock.unlock();
		}
		if (this.fired) {
			Thread.interrupted();
		}
		return this.fired;
	}

}
