package dev.locksmith.sample;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A Spring Boot application using Locksmith: {@code @DistributedLock} on a token refresher, a one-time
 * migration and a scheduled report, {@link dev.locksmith.MutexService} injected into an account service,
 * and the actuator's {@code health}, {@code metrics} and {@code locks} endpoints. In-memory locks by
 * default; the {@code redis} and {@code postgres} profiles point at servers you run.
 */
@SpringBootApplication
@EnableScheduling
public class SampleApplication {

	/**
	 * Starts the application.
	 * @param args the command-line arguments
	 */
	public static void main(String[] args) {
		SpringApplication.run(SampleApplication.class, args);
	}

	/**
	 * Runs the pending migration at startup; on several instances only one runs it.
	 * @param migrations the migration job
	 * @return the runner
	 */
	@Bean
	ApplicationRunner runMigrations(MigrationJob migrations) {
		return (args) -> migrations.migrate("v2");
	}

}
