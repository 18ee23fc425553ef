package dev.locksmith.boot.aop;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

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
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.locksmith.LockEvent;
import dev.locksmith.LockListener;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.autoconfigure.DistributedLockAutoConfiguration;
import dev.locksmith.boot.autoconfigure.LocksmithAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The lock outlives the transaction, with a real transaction manager on an embedded database.
 */
@SpringJUnitConfig(TransactionOrderingTests.Config.class)
class TransactionOrderingTests {

	@Autowired
	private Accounts accounts;

	@Autowired
	private Batch batch;

	@Autowired
	private MutexService locks;

	@Autowired
	private JdbcTemplate jdbc;

	@Autowired
	private List<String> log;

	@BeforeEach
	void clear() {
		this.log.clear();
		this.jdbc.update("delete from account");
	}

	@Test
	void lockIsTakenBeforeTheTransactionBeginsAndHeldWhenItCommits() {
		Map<String, Boolean> seen = this.accounts.open("alice");
		assertThat(seen).containsEntry("transactionActive", true)
			.containsEntry("lockedBeforeCommit", true)
			.containsEntry("lockedAfterCommit", true);
		assertThat(this.log).containsExactly("ACQUIRED in transaction: false", "commit", "RELEASED");
		assertThat(this.locks.isLocked("account:alice")).isFalse();
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isOne();
	}

	@Test
	void lockTakenInsideARunningTransactionIsReleasedWhenItCompletes() {
		boolean lockedAfterInnerCall = this.batch.openInTransaction("bob");
		assertThat(lockedAfterInnerCall).isTrue();
		assertThat(this.log).containsExactly("ACQUIRED in transaction: true", "completed: committed", "RELEASED");
		assertThat(this.locks.isLocked("account:bob")).isFalse();
	}

	@Test
	void lockTakenInsideARollingBackTransactionIsReleasedToo() {
		assertThatIllegalStateException().isThrownBy(() -> this.batch.openThenFail("carol"));
		assertThat(this.locks.isLocked("account:carol")).isFalse();
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isZero();
		assertThat(this.log).containsExactly("ACQUIRED in transaction: true", "completed: rolled back", "RELEASED");
	}

	@Test
	void laterCallsInTheSameTransactionJoinTheLockItHolds() {
		long[] tokens = this.batch.insertTwice("dave");
		assertThat(tokens[0]).isPositive().isEqualTo(tokens[1]);
		assertThat(this.locks.isLocked("account:dave")).isFalse();
		assertThat(this.jdbc.queryForObject("select count(*) from account", Integer.class)).isEqualTo(2);
		assertThat(this.log).containsExactly("ACQUIRED in transaction: true", "RELEASED");
	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement
	@ImportAutoConfiguration({ AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
			DistributedLockAutoConfiguration.class })
	static class Config {

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
		List<String> log() {
			return new CopyOnWriteArrayList<>();
		}

		@Bean
		LockListener transactionRecorder(List<String> log) {
			return (event) -> {
				if (event.type() == LockEvent.Type.ACQUIRED) {
					log.add("ACQUIRED in transaction: " + TransactionSynchronizationManager.isActualTransactionActive());
				}
				else if (event.type() == LockEvent.Type.RELEASED) {
					log.add("RELEASED");
				}
			};
		}

		@Bean
		Accounts accounts(JdbcTemplate jdbc, MutexService locks, List<String> log) {
			return new Accounts(jdbc, locks, log);
		}

		@Bean
		Batch batch(Accounts accounts, MutexService locks) {
			return new Batch(accounts, locks);
		}

	}

	public static class Accounts {

		private final JdbcTemplate jdbc;

		private final MutexService locks;

		private final List<String> log;

		Accounts(JdbcTemplate jdbc, MutexService locks, List<String> log) {
			this.jdbc = jdbc;
			this.locks = locks;
			this.log = log;
		}

		@Transactional
		@DistributedLock(key = "'account:' + #owner")
		public Map<String, Boolean> open(String owner) {
			Map<String, Boolean> seen = new java.util.concurrent.ConcurrentHashMap<>();
			seen.put("transactionActive", TransactionSynchronizationManager.isActualTransactionActive());
			this.jdbc.update("insert into account(owner) values (?)", owner);
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void beforeCommit(boolean readOnly) {
					seen.put("lockedBeforeCommit", Accounts.this.locks.isLocked("account:" + owner));
				}

				@Override
				public void afterCommit() {
					Accounts.this.log.add("commit");
					seen.put("lockedAfterCommit", Accounts.this.locks.isLocked("account:" + owner));
				}

			});
			return seen;
		}

		@DistributedLock(key = "'account:' + #owner")
		public long insert(String owner) {
			this.jdbc.update("insert into account(owner) values (?)", owner);
			return dev.locksmith.LockContext.currentToken();
		}

		public void logCompletion() {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void afterCompletion(int status) {
					Accounts.this.log.add("completed: " + ((status == STATUS_COMMITTED) ? "committed" : "rolled back"));
				}

			});
		}

	}

	public static class Batch {

		private final Accounts accounts;

		private final MutexService locks;

		Batch(Accounts accounts, MutexService locks) {
			this.accounts = accounts;
			this.locks = locks;
		}

		@Transactional
		public boolean openInTransaction(String owner) {
			this.accounts.logCompletion();
			this.accounts.insert(owner);
			return this.locks.isLocked("account:" + owner);
		}

		@Transactional
		public long[] insertTwice(String owner) {
			return new long[] { this.accounts.insert(owner), this.accounts.insert(owner) };
		}

		@Transactional
		public void openThenFail(String owner) {
			this.accounts.logCompletion();
			this.accounts.insert(owner);
			throw new IllegalStateException("roll back");
		}

	}

}
