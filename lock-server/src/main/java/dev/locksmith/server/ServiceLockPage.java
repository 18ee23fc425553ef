package dev.locksmith.server;

import java.util.List;

/**
 * One page of held service locks.
 *
 * @param locks the locks on this page, ordered by service
 * @param total how many service locks are held in all
 * @param page the page number, starting at 1
 * @param perPage the page size
 */
public record ServiceLockPage(List<ServiceLock> locks, long total, int page, int perPage) {

	/**
	 * Copies the list.
	 *
	 * @param locks the locks on this page, ordered by service
	 * @param total how many service locks are held in all
	 * @param page the page number, starting at 1
	 * @param perPage the page size
	 */
	public ServiceLockPage {
		locks = List.copyOf(locks);
	}

}
