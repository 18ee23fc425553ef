package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LockClock;

/**
 * The time the provider stamps and judges expiry with: this client's wall clock, shifted to agree with the API
 * server's. Every {@value #SAMPLE_SECONDS} s (and once when the provider is built) it sends {@code GET /version}
 * and reads the response's {@code Date} header. That header has whole seconds, so it only says the server's clock
 * read between {@code D} and {@code D + 1 s} at some moment while the request was in flight; the shift is the
 * smallest one that makes this client's clock agree with that ({@link #correction}), zero for a clock that already
 * agrees. A clock an hour off is so brought to within about one second plus the round trip of the API server's;
 * agreement closer than that still rests on NTP and on the clock-skew allowance.
 */
final class ApiServerClock {

	static final long SAMPLE_SECONDS = 60;

	private static final Logger logger = LoggerFactory.getLogger(ApiServerClock.class);

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

	/** A shift this large is worth a warning: the node's clock is not synchronised. */
	private static final long WARN_MILLIS = 2_000;

	private final LockClock local;

	private final KubernetesClient client;

	private final ScheduledExecutorService sampler;

	private volatile long offsetMillis;

	ApiServerClock(KubernetesClient client, LockClock local) {
		this.local = local;
		this.client = client;
		this.sampler = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "locksmith-kubernetes-time");
			thread.setDaemon(true);
			return thread;
		});
		sample();
		this.sampler.scheduleWithFixedDelay(this::sample, SAMPLE_SECONDS, SAMPLE_SECONDS, TimeUnit.SECONDS);
	}

	/** Returns the API server's time as this client best knows it, in epoch milliseconds. */
	long nowMillis() {
		return this.local.now().toEpochMilli() + this.offsetMillis;
	}

	/** Returns the current shift from this client's clock to the API server's, in milliseconds. */
	long offsetMillis() {
		return this.offsetMillis;
	}

	private void sample() {
		try {
			HttpClient http = this.client.getHttpClient();
			String url = this.client.getMasterUrl().toString();
			long sent = this.local.now().toEpochMilli();
			HttpResponse<String> response = http
				.sendAsync(http.newHttpRequestBuilder().uri((url.endsWith("/") ? url : url + "/") + "version").build(),
						String.class)
				.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			long received = this.local.now().toEpochMilli();
			String date = response.header("Date");
			if (date == null) {
				logger.debug("The API server's response has no Date header; keeping the clock shift at {} ms",
						this.offsetMillis);
				return;
			}
			long server = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
			long shift = correction(sent, received, server);
			if (Math.abs(shift) > WARN_MILLIS && Math.abs(shift - this.offsetMillis) > WARN_MILLIS) {
				logger.warn("This node's clock is {} ms off the Kubernetes API server's; lock expiry uses the API "
						+ "server's time", -shift);
			}
			this.offsetMillis = shift;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			// unreachable now: keep the last shift; the provider's own requests report the outage
			logger.debug("Could not read the API server's time; keeping the clock shift at {} ms", this.offsetMillis,
					ex);
		}
	}

	/**
	 * The smallest shift of this client's clock that agrees with a {@code Date} header: the server's clock read
	 * {@code [date, date + 1 s)} at a moment this client's clock read {@code [sent, received]}, so the shift lies in
	 * {@code [date - received, date + 1 s - sent]}.
	 * @param sent this client's time when the request was sent (ms)
	 * @param received this client's time when the response arrived (ms)
	 * @param date the {@code Date} header (ms, whole seconds)
	 * @return the shift in milliseconds, 0 if the clocks agree
	 */
	static long correction(long sent, long received, long date) {
		long lowest = date - received;
		long highest = date + 1_000 - sent;
		if (lowest > 0) {
			return lowest;
		}
		return Math.min(highest, 0);
	}

	void close() {
		this.sampler.shutdownNow();
	}

}
