package dev.locksmith.server;

import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.provider.memory.MemoryLockProvider;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A minimal web application for the lock service tests: an in-memory {@link MutexService} plus whatever
 * the auto-configuration adds.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class TestLockServerApplication {

	@Bean
	MutexService mutexService() {
		return Locksmith.builder(new MemoryLockProvider()).build();
	}

}
