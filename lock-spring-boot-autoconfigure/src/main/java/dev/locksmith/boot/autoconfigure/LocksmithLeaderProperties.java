package dev.locksmith.boot.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;


/**
 * Leader election settings ({@code locksmith.leader.*}).
 */
@ConfigurationProperties("locksmith.leader")
public class LocksmithLeaderProperties {

	/**
	 * Whether to take part in a leader election (a LeaderElection bean, started with the context).
	 */
	private boolean enabled;

	/**
	 * Election name, shared by every instance of the application that should elect one leader. Defaults to
	 * spring.application.name, else "default".
	 */
	private @Nullable String name;

	/**
	 * Whether to start contending when the application context starts.
	 */
	private boolean autoStart = true;

	/**
	 * Time to live of the leadership lease, renewed at a third of it; a dead leader is replaced within about
	 * this long. Defaults to locksmith.default-ttl.
	 */
	private @Nullable Duration ttl;

	/**
	 * How long a leader that yielded waits before contending again, so that another instance takes over.
	 */
	private Duration yieldDelay = Duration.ofSeconds(2);

	/**
	 * Returns whether leader election is enabled.
	 * @return whether enabled
	 */
	public boolean isEnabled() {
		return this.enabled;
	}

	/**
	 * Sets whether leader election is enabled.
	 * @param enabled whether enabled
	 */
	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	/**
	 * Returns the election name.
	 * @return the name, or null for the default
	 */
	public @Nullable String getName() {
		return this.name;
	}

	/**
	 * Sets the election name.
	 * @param name the name
	 */
	public void setName(@Nullable String name) {
		this.name = name;
	}

	/**
	 * Returns whether the election starts with the context.
	 * @return whether it starts automatically
	 */
	public boolean isAutoStart() {
		return this.autoStart;
	}

	/**
	 * Sets whether the election starts with the context.
	 * @param autoStart whether it starts automatically
	 */
	public void setAutoStart(boolean autoStart) {
		this.autoStart = autoStart;
	}

	/**
	 * Returns the leadership lease TTL.
	 * @return the TTL, or null for the lock service's default
	 */
	public @Nullable Duration getTtl() {
		return this.ttl;
	}

	/**
	 * Sets the leadership lease TTL.
	 * @param ttl the TTL
	 */
	public void setTtl(@Nullable Duration ttl) {
		this.ttl = ttl;
	}

	/**
	 * Returns the pause after a yield.
	 * @return the yield delay
	 */
	public Duration getYieldDelay() {
		return this.yieldDelay;
	}

	/**
	 * Sets the pause after a yield.
	 * @param yieldDelay the yield delay
	 */
	public void setYieldDelay(Duration yieldDelay) {
		this.yieldDelay = yieldDelay;
	}

}
