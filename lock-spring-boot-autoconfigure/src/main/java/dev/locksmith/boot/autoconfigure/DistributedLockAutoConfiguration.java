package dev.locksmith.boot.autoconfigure;

import org.springframework.aop.Advisor;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.function.SingletonSupplier;

import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.boot.aop.DistributedLockInterceptor;
import dev.locksmith.boot.aop.DistributedLockPointcut;
import dev.locksmith.boot.aop.LockLostTransactionListener;
import dev.locksmith.boot.aop.LockOperationSource;

/**
 * Auto-configuration of the {@link DistributedLock @DistributedLock} advice: an advisor matching methods
 * annotated directly, through a meta-annotation or on an interface, ordered by
 * {@code locksmith.aspect.order} (outside {@code @Transactional} by default). Invalid annotations fail
 * startup when the annotated bean is proxied. Its collaborators are
 * resolved on first use, so that creating the advisor early does not create the lock service early.
 */
@AutoConfiguration(after = { LocksmithAutoConfiguration.class, AopAutoConfiguration.class })
@ConditionalOnBean(MutexService.class)
@ConditionalOnBooleanProperty(name = "locksmith.aspect.enabled", matchIfMissing = true)
@Import(DistributedLockAutoConfiguration.AutoProxyRegistrar.class)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
public final class DistributedLockAutoConfiguration {

	/** The default advice order: just before {@code @Transactional}'s lowest precedence. */
	static final int DEFAULT_ORDER = new LocksmithProperties.Aspect().getOrder();

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean
	static LockOperationSource distributedLockOperationSource(BeanFactory beanFactory,
			ObjectProvider<LocksmithProperties> properties) {
		return new LockOperationSource(beanFactory, () -> properties.getObject().getRetry().toBackoff());
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean
	static DistributedLockInterceptor distributedLockInterceptor(ObjectProvider<MutexService> locks,
			LockOperationSource distributedLockOperationSource) {
		return new DistributedLockInterceptor(SingletonSupplier.of(locks::getObject), distributedLockOperationSource);
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean(name = "distributedLockAdvisor")
	static Advisor distributedLockAdvisor(LockOperationSource distributedLockOperationSource,
			DistributedLockInterceptor distributedLockInterceptor, Environment environment) {
		DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(
				new DistributedLockPointcut(distributedLockOperationSource), distributedLockInterceptor);
		advisor.setOrder(environment.getProperty("locksmith.aspect.order", Integer.class, DEFAULT_ORDER));
		return advisor;
	}

	/**
	 * Fails a commit under a lost lock (with spring-tx; Boot adds the listener to the transaction managers
	 * it configures).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.transaction.TransactionExecutionListener")
	static class TransactionCommitCheck {

		@Bean
		@ConditionalOnMissingBean
		LockLostTransactionListener locksmithLockLostTransactionListener() {
			return new LockLostTransactionListener();
		}

	}

	/**
	 * Makes sure an auto-proxy creator exists (as {@code @EnableTransactionManagement} does), in case the
	 * application turned Boot's AOP auto-configuration off.
	 */
	static class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar {

		@Override
		public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
			AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
		}

	}

}
