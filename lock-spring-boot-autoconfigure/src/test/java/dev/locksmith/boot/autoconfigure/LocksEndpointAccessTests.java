package dev.locksmith.boot.autoconfigure;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.EndpointAccessResolver;
import org.springframework.boot.actuate.endpoint.OperationFilter;
import org.springframework.boot.actuate.endpoint.invoke.ParameterValueMapper;
import org.springframework.boot.actuate.endpoint.web.EndpointMediaTypes;
import org.springframework.boot.actuate.endpoint.web.WebOperation;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpointDiscoverer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code locks} endpoint's force-release follows Boot's endpoint access model: read-only by default,
 * {@code management.endpoint.locks.access=unrestricted} adds the delete operation.
 */
class LocksEndpointAccessTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withInitializer((context) -> context.getEnvironment()
			.setConversionService((ApplicationConversionService) ApplicationConversionService.getSharedInstance()))
		.withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class, LocksmithAutoConfiguration.class,
				LocksEndpointAutoConfiguration.class))
		.withPropertyValues("management.endpoints.web.exposure.include=locks");

	@Test
	void readOnlyByDefault() {
		this.contextRunner.run((context) -> assertThat(locksOperations(context))
			.containsExactlyInAnyOrder("GET /locks", "GET /locks/{*key}"));
	}

	@Test
	void unrestrictedAccessAddsForceRelease() {
		this.contextRunner.withPropertyValues("management.endpoint.locks.access=unrestricted")
			.run((context) -> assertThat(locksOperations(context))
				.contains("DELETE /locks/{*key}"));
	}

	@Test
	void readOnlyDefaultAccessForAllEndpointsKeepsItReadOnly() {
		this.contextRunner.withPropertyValues("management.endpoints.access.default=read-only")
			.run((context) -> assertThat(locksOperations(context))
				.doesNotContain("DELETE /locks/{*key}"));
	}

	/** The operations of the locks endpoint as Boot's web endpoint discovery, with its access filter, sees them. */
	private static Set<String> locksOperations(ApplicationContext context) {
		WebEndpointDiscoverer discoverer = new WebEndpointDiscoverer(context, context.getBean(ParameterValueMapper.class),
				EndpointMediaTypes.DEFAULT, List.of(), List.of(), List.of(), List.of(),
				List.<OperationFilter<WebOperation>>of(OperationFilter.byAccess(context.getBean(EndpointAccessResolver.class))));
		return discoverer.getEndpoints()
			.stream()
			.filter((endpoint) -> endpoint.getEndpointId().toString().equals("locks"))
			.flatMap((endpoint) -> endpoint.getOperations().stream())
			.map(WebOperation::getRequestPredicate)
			.map((predicate) -> predicate.getHttpMethod() + " /" + predicate.getPath())
			.collect(Collectors.toSet());
	}

}
