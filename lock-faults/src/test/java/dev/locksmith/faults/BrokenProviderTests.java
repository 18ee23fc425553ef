package dev.locksmith.faults;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The suite against a deliberately broken provider (a real Redis provider wrapped so that it sometimes
 * grants a held key, handing out the holder's token): a real multi-process run without faults must be
 * flagged, or the checker could not fail.
 */
class BrokenProviderTests {

	@Test
	void flagsAProviderThatGrantsAHeldKeyWithTheHoldersToken() throws Exception {
		FaultRun.Config config = new FaultRun.Config("redis", Fault.NONE, 7, 3, 3, Duration.ofMillis(1500),
				Duration.ofSeconds(8), "steal-same-token");
		FaultRun.Result result = FaultRun.run(config,
				Path.of(System.getProperty("faults.output", "target/faults")));
		Checker.Report report = result.report();
		assertThat(report.overlapsNotCaught()).as(report.anomalies().toString()).isPositive();
		assertThat(report.staleAccepted()).isPositive();
		assertThat(report.missingLoss() + report.lateLoss()).isPositive();
		assertThat(result.failed()).isTrue();
	}

	@Test
	void flagsABrokenEtcdProvider() throws Exception {
		EtcdTestServer.assumeInstalled();
		FaultRun.Config config = new FaultRun.Config("etcd", Fault.NONE, 7, 3, 3, Duration.ofMillis(1500),
				Duration.ofSeconds(8), "steal-same-token");
		FaultRun.Result result = FaultRun.run(config,
				Path.of(System.getProperty("faults.output", "target/faults")));
		Checker.Report report = result.report();
		System.out.println(Campaign.row(result));
		assertThat(report.overlapsNotCaught()).as(report.anomalies().toString()).isPositive();
		assertThat(report.staleAccepted()).isPositive();
		assertThat(result.failed()).isTrue();
	}

}
