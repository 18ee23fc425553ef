package dev.locksmith.boot.autoconfigure;

import javax.sql.DataSource;

import org.springframework.boot.jdbc.init.DataSourceScriptDatabaseInitializer;
import org.springframework.boot.jdbc.init.PropertiesBasedDataSourceScriptDatabaseInitializer;

/**
 * {@link DataSourceScriptDatabaseInitializer} that creates Locksmith's lock table from
 * {@code schema-@@platform@@.sql}, according to {@code locksmith.jdbc.initialize-schema}. Define a bean of
 * this type to take over.
 */
public class LocksmithDataSourceScriptDatabaseInitializer
		extends PropertiesBasedDataSourceScriptDatabaseInitializer<LocksmithJdbcProperties> {

	/**
	 * Creates the initializer.
	 * @param dataSource the data source holding the lock table
	 * @param properties the JDBC provider settings
	 */
	public LocksmithDataSourceScriptDatabaseInitializer(DataSource dataSource, LocksmithJdbcProperties properties) {
		super(dataSource, properties);
	}

}
