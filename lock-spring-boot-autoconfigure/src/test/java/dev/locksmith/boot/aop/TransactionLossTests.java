package dev.locksmith.boot.aop;

import java.time.Duration;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

import dev.locksmith.LockContext;
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
 * A lock taken inside a running transaction and lost before the transaction commits fails the commit:
 * the work done under the lost lock is rolled back (real transaction manager, embedded H2). The clock is
 * a manual one, so the lease expires exactly when the test says.
 */
@SpringJUnitConfig(TransactionLossTests.Config.class)
class TransactionLossTests {

	@Autowired
	private Writer writer;

	@Autowired
	private JdbcTemplate jdbc;

	@Autowired
	private MutexService locks;

	@BeforeEach
	void clear() {
		this.jdbc.update("delete from account");
	}

	@Test
	void aLockLostBeforeCommitRollsTheTransactionBack() {
		assertThatExceptionOfType(LockLostException.class).isThrownBy(() -> this.writer.writeAndLoseTheLock("erin"))
			.withMessageContaining("account:erin");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class))
			.as("the row written under the lost lock is rolled back")
			.isZero();
		assertThat(this.locks.isLocked("account:erin")).isFalse();
	}

	@Test
	void aLockStillHeldAtCommitCommits() {
		this.writer.write("frank");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isOne();
		assertThat(this.locks.isLocked("account:frank")).isFalse();
	}

	@Test
	void aLockLostInAMethodThatThrowsACheckedExceptionStillRollsBack() {
		// a checked exception commits by default; the loss must still keep the work from committing
		assertThatExceptionOfType(LockLostException.class)
			.isThrownBy(() -> this.writer.writeLoseTheLockAndFail("gus"))
			.withMessageContaining("account:gus");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class))
			.as("the row written under the lost lock is rolled back")
			.isZero();
		assertThat(this.locks.isLocked("account:gus")).isFalse();
	}

	@Test
	void aLockLostAndCaughtByTheCallerStillRollsBack() {
		assertThatExceptionOfType(LockLostException.class)
			.isThrownBy(() -> this.writer.writeLoseTheLockAndCarryOn("hal"))
			.withMessageContaining("account:hal");
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class))
			.as("the row written under the lost lock is rolled back")
			.isZero();
		assertThat(this.locks.isLocked("account:hal")).isFalse();
	}

	@Test
	void aCheckedExceptionUnderAHeldLockCommitsAsUsual() {
		assertThatExceptionOfType(BusinessException.class).isThrownBy(() -> this.writer.writeAndFail("ivy"));
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isOne();
		assertThat(this.locks.isLocked("account:ivy")).isFalse();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement
	@ImportAutoConfiguration({ AopAutoConfiguration.class, DistributedLockAutoConfiguration.class })
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
		DataSource dataSource() {
			return new EmbeddedDatabaseBuilder().setType(EmbeddedDatabaseType.H2)
				.generateUniqueName(true)
				.addScript("classpath:dev/locksmith/boot/aop/account.sql")
				.build();
		}

		@Bean
		PlatformTransactionManager transactionManager(DataSource dataSource) {
			return new DataSourceTransactionManager(dataSource);
		}

		@Bean
		JdbcTemplate jdbcTemplate(DataSource dataSource) {
			return new JdbcTemplate(dataSource);
		}

		@Bean
		Inserter inserter(JdbcTemplate jdbc) {
			return new Inserter(jdbc);
		}

		@Bean
		Writer writer(Inserter inserter, ManualClock clock) {
			return new Writer(inserter, clock);
		}

		@Bean
		FailingInserter failingInserter(JdbcTemplate jdbc, ManualClock clock) {
			return new FailingInserter(jdbc, clock);
		}

	}

	public static class Inserter {

		private final JdbcTemplate jdbc;

		Inserter(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@DistributedLock(key = "'account:' + #owner", ttl = "10s")
		public void insert(String owner) {
			assertThat(LockContext.current()).hasValueSatisfying((handle) -> assertThat(handle.isValid()).isTrue());
			this.jdbc.update("insert into account(owner) values (?)", owner);
		}

	}

	public static class Writer {

		private final Inserter inserter;

		private final ManualClock clock;

		@Autowired
		private FailingInserter failing;

		Writer(Inserter inserter, ManualClock clock) {
			this.inserter = inserter;
			this.clock = clock;
		}

		@Transactional
		public void writeLoseTheLockAndFail(String owner) throws BusinessException {
			this.failing.insertLoseTheLockAndFail(owner);
		}

		@Transactional
		public void writeAndFail(String owner) throws BusinessException {
			this.failing.insertAndFail(owner);
		}

		@Transactional
		public void writeLoseTheLockAndCarryOn(String owner) {
			try {
				this.failing.insertAndLoseTheLock(owner);
			}
			catch (LockLostException ex) {
				// the caller decides to carry on: the commit must still not happen under the lost lock
			}
		}

		@Transactional
		public void writeAndLoseTheLock(String owner) {
			this.inserter.insert(owner);
			// the lease (ttl 10s, not renewed) runs out while the transaction is still open
			this.clock.advance(Duration.ofSeconds(11));
		}

		@Transactional
		public void write(String owner) {
			this.inserter.insert(owner);
		}

	}

	public static class FailingInserter {

		private final JdbcTemplate jdbc;

		private final ManualClock clock;

		FailingInserter(JdbcTemplate jdbc, ManualClock clock) {
			this.jdbc = jdbc;
			this.clock = clock;
		}

		@DistributedLock(key = "'account:' + #owner", ttl = "10s")
		public void insertLoseTheLockAndFail(String owner) throws BusinessException {
			insertAndLoseTheLock(owner);
			throw new BusinessException();
		}

		@DistributedLock(key = "'account:' + #owner", ttl = "10s")
		public void insertAndLoseTheLock(String owner) {
			this.jdbc.update("insert into account(owner) values (?)", owner);
			this.clock.advance(Duration.ofSeconds(11));
		}

		@DistributedLock(key = "'account:' + #owner", ttl = "10s")
		public void insertAndFail(String owner) throws BusinessException {
			this.jdbc.update("insert into account(owner) values (?)", owner);
			throw new BusinessException();
		}

	}

	/** A checked exception, which by default does not roll a transaction back. */
	public static class BusinessException extends Exception {

		private static final long serialVersionUID = 1L;

	}

}
