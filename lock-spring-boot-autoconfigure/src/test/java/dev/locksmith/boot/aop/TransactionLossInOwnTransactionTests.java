package dev.locksmith.boot.aop;

import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import org.springframework.transaction.annotation.Transactional;

import dev.locksmith.LockLostException;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code @Transactional} and {@code @DistributedLock} on one method (the lock taken before the
 * transaction begins, the default order): a lock lost before the commit fails the commit, so the work
 * done under it rolls back. Boot's own transaction manager (embedded H2) and a manual clock.
 */
@SpringJUnitConfig(TransactionLossInOwnTransactionTests.Config.class)
class TransactionLossInOwnTransactionTests {

	@Autowired
	private Accounts accounts;

	@Autowired
	private Regions regions;

	@Autowired
	private JdbcTemplate jdbc;

	@Autowired
	private MutexService locks;

	@BeforeEach
	void table() {
		this.jdbc.execute("create table if not exists account (id identity primary key, owner varchar(64))");
		this.jdbc.update("delete from account");
	}

	@Test
	void aLockLostBeforeCommitRollsBackTheMethodsOwnTransaction() {
		assertThatExceptionOfType(LockLostException.class).isThrownBy(() -> this.accounts.openAndLoseTheLock("gina"))
			.withMessageContaining("account:gina");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class))
			.as("the row written under the lost lock is rolled back")
			.isZero();
		assertThat(this.locks.isLocked("account:gina")).isFalse();
	}

	@Test
	void aLockStillHeldAtCommitCommits() {
		this.accounts.open("hugo");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isOne();
		assertThat(this.locks.isLocked("account:hugo")).isFalse();
	}

	@Test
	void anOuterLockLostBeforeCommitRollsBackATransactionBegunInsideIt() {
		// region lock (10s) -> account lock (60s) + transaction: the region lock runs out, the account lock
		// does not; the transaction ran under both, so it must not commit
		assertThatExceptionOfType(LockLostException.class)
			.isThrownBy(() -> this.regions.openInRegionAndLoseTheRegionLock("ida"))
			.withMessageContaining("region:ida");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class))
			.as("the row written under the lost outer lock is rolled back")
			.isZero();
		assertThat(this.locks.isLocked("region:ida")).isFalse();
		assertThat(this.locks.isLocked("account:ida")).isFalse();
	}

	@Test
	void nestedLocksStillHeldAtCommitCommit() {
		this.regions.openInRegion("jan");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isOne();
		assertThat(this.locks.isLocked("region:jan")).isFalse();
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, DataSourceAutoConfiguration.class,
			DataSourceTransactionManagerAutoConfiguration.class, TransactionManagerCustomizationAutoConfiguration.class,
			TransactionAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
			DistributedLockAutoConfiguration.class })
	static class Config {

		@Bean
		ManualClock clock() {
			return new ManualClock();
		}

		@Bean
		MutexService mutexService(ManualClock clock) {
			return Locksmith.builder(new MemoryLockProvider(clock)).clock(clock).build();
		}

		@Bean
		Accounts accounts(JdbcTemplate jdbc, ManualClock clock) {
			return new Accounts(jdbc, clock);
		}

		@Bean
		Regions regions(Accounts accounts) {
			return new Regions(accounts);
		}

	}

	public static class Accounts {

		private final JdbcTemplate jdbc;

		private final ManualClock clock;

		Accounts(JdbcTemplate jdbc, ManualClock clock) {
			this.jdbc = jdbc;
			this.clock = clock;
		}

		@Transactional
		@DistributedLock(key = "'account:' + #owner", ttl = "10s")
		public void openAndLoseTheLock(String owner) {
			this.jdbc.update("insert into account(owner) values (?)", owner);
			// the lease (ttl 10s, not renewed) runs out before the transaction commits
			this.clock.advance(Duration.ofSeconds(11));
		}

		@Transactional
		@DistributedLock(key = "'account:' + #owner", ttl = "10s")
		public void open(String owner) {
			this.jdbc.update("insert into account(owner) values (?)", owner);
		}

		@Transactional
		@DistributedLock(key = "'account:' + #owner", ttl = "60s")
		public void openAndOutliveTheOuterLock(String owner) {
			this.jdbc.update("insert into account(owner) values (?)", owner);
			// the outer lease (ttl 10s) runs out, this one (ttl 60s) does not
			this.clock.advance(Duration.ofSeconds(11));
		}

	}

	public static class Regions {

		private final Accounts accounts;

		Regions(Accounts accounts) {
			this.accounts = accounts;
		}

		@DistributedLock(key = "'region:' + #owner", ttl = "10s")
		public void openInRegionAndLoseTheRegionLock(String owner) {
			this.accounts.openAndOutliveTheOuterLock(owner);
		}

		@DistributedLock(key = "'region:' + #owner", ttl = "10s")
		public void openInRegion(String owner) {
			this.accounts.open(owner);
		}

	}

}
