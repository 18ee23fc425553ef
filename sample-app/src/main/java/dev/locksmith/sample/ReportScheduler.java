package dev.locksmith.sample;

import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.annotation.OnLocked;

/**
 * A scheduled report that runs on one instance per period: the others find the lock taken and skip.
 * {@code minHold} keeps the lock for a while after a fast run, so an instance whose schedule fires a
 * little later does not run it again.
 */
@Component
public class ReportScheduler {

	private final AtomicInteger runs = new AtomicInteger();

	/**
	 * Builds the report, unless another instance is building it.
	 */
	@Scheduled(fixedDelayString = "${sample.report.interval:1m}")
	@DistributedLock(key = "'report:daily'", name = "report", onLocked = OnLocked.SKIP,
			minHold = "${sample.report.min-hold:30s}")
	public void buildReport() {
		this.runs.incrementAndGet();
	}

	/**
	 * Returns how many times this instance built the report.
	 * @return the run count
	 */
	public int runs() {
		return this.runs.get();
	}

}
