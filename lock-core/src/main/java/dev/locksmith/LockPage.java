package dev.locksmith;

import java.util.List;

/**
 * One page of held locks, from {@link MutexService#list(int, int)}.
 *
 * @param locks the locks on this page, ordered by key
 * @param total how many keys are held in all
 */
public record LockPage(List<LockInfo> locks, long total) {

	/**
	 * Copies the list.
	 *
	 * @param locks the locks on this page, ordered by key
	 * @param total how many keys are held in all
	 */
	public LockPage {
		locks = List.copyOf(locks);
	}

}
