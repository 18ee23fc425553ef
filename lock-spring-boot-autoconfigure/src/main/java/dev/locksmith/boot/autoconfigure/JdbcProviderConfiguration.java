package dev.locksmith.boot.autoconfigure;

import javax.sql.DataSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import dev.locksmith.MutexService;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * The JDBC provider configuration: a lock table ({@code locksmith.jdbc.mode=table}) or PostgreSQL
 * advisory locks ({@code advisory}) on the application's {@link DataSource}, with the lock table created
 * by Boot's script initializer according to {@code locksmith.jdbc.initialize-schema}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = { "org.springframework.jdbc.core.JdbcTemplate",
		"org.springframework.boot.jdbc.init.DataSourceScriptDatabaseInitializer",
		"dev.locksmith.provider.jdbc.JdbcLockProvider" })
@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
@ConditionalOnProperty(name = "locksmith.provider", havingValue = "jdbc")
@EnableConfigurationProperties(LocksmithJdbcProperties.class)
@Import(DatabaseInitializationDependencyConfigurer.class)
class JdbcProviderConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LocksmithDataSourceScriptDatabaseInitializer locksmithDataSourceScriptDatabaseInitializer(
			ObjectProvider<DataSource> dataSource, LocksmithJdbcProperties properties) {
		return new LocksmithDataSourceScriptDatabaseInitializer(requireDataSource(dataSource), properties);
	}

	@Bean(destroyMethod = "close")
	@DependsOnDatabaseInitialization
	LockProvider locksmithLockProvider(ObjectProvider<DataSource> dataSource, LocksmithJdbcProperties properties) {
		DataSource source = requireDataSource(dataSource);
		return switch (properties.getMode()) {
			case TABLE -> JdbcLockProvider.builder(source).tableName(properties.getTableName()).build();
			case ADVISORY -> PostgresAdvisoryLockProvider.builder(source)
				.tableName(properties.getTableName())
				.namespace(properties.getNamespace())
				.waitInServer(properties.isWaitInServer())
				.build();
		};
	}

	private static DataSource requireDataSource(ObjectProvider<DataSource> dataSource) {
		DataSource source = dataSource.getIfUnique();
		if (source == null) {
			throw new IllegalStateException("locksmith.provider=jdbc needs one DataSource bean: add "
					+ "spring-boot-starter-jdbc and configure spring.datasource.*");
		}
		return source;
	}

}
