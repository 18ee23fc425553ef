package dev.locksmith.server.web;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import dev.locksmith.server.LockServiceException;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

/**
 * Refuses requests that a browser sends on behalf of another site, so that a web page cannot take or
 * release locks from a victim's browser (a {@code text/plain} form POST needs no CORS preflight, and an
 * {@code <img>} can fetch {@code GET /unlock/{id}}).
 *
 * <p>A request is refused when the browser marks it {@code Sec-Fetch-Site: cross-site} or
 * {@code same-site} (a sibling subdomain is another party too), or when it carries an {@code Origin} that
 * is not this server's own ({@code null} included). Scripts and CI clients send neither header and are
 * never affected; neither is a page served by this server itself ({@code same-origin}) or a URL typed into
 * the address bar ({@code none}).
 *
 * <p>A page of another site can also reach the server under its own name by pointing that name at the
 * server's address after the page has loaded (DNS rebinding); the browser then sees the requests as
 * same-origin. So a request from a page ({@code Origin}, or {@code Sec-Fetch-Site} other than
 * {@code none}) is served only under localhost, an IP address, or a name in
 * {@code locksmith.server.browser-hosts}.
 */
final class CrossSiteRequests {

	private final Set<String> browserHosts;

	/**
	 * Creates the check.
	 * @param browserHosts host names, besides localhost and IP addresses, that browsers may use
	 */
	CrossSiteRequests(Collection<String> browserHosts) {
		this.browserHosts = new HashSet<>();
		for (String host : browserHosts) {
			this.browserHosts.add(host.trim().toLowerCase(Locale.ROOT));
		}
	}

	/**
	 * Checks a request.
	 * @param request the request
	 * @throws LockServiceException (forbidden) if a browser sent it on behalf of another site
	 */
	void check(HttpServletRequest request) {
		String site = request.getHeader("Sec-Fetch-Site");
		String value = (site != null) ? site.trim().toLowerCase(Locale.ROOT) : null;
		if (value != null && (value.equals("cross-site") || value.equals("same-site"))) {
			throw refused("the browser marked it Sec-Fetch-Site: " + value);
		}
		String origin = request.getHeader("Origin");
		if (origin != null && !isOwnOrigin(request, origin.trim())) {
			throw refused("its Origin '" + abbreviate(origin) + "' is not this server's");
		}
		boolean fromPage = origin != null || (value != null && !value.equals("none"));
		if (fromPage && !isBrowserHost(request.getHeader("Host"))) {
			throw refused("a page called it under the name '" + abbreviate(String.valueOf(request.getHeader("Host")))
					+ "', which is not localhost, an IP address or in locksmith.server.browser-hosts (DNS rebinding)");
		}
	}

	/** Whether a browser may use this Host: localhost, an IP address, or a configured name. */
	private boolean isBrowserHost(@Nullable String hostHeader) {
		if (hostHeader == null) {
			return false;
		}
		String host = hostHeader.trim().toLowerCase(Locale.ROOT);
		if (host.startsWith("[")) {
			return host.indexOf(']') > 0; // an IPv6 literal
		}
		int colon = host.lastIndexOf(':');
		if (colon >= 0) {
			host = host.substring(0, colon);
		}
		if (host.endsWith(".")) {
			host = host.substring(0, host.length() - 1);
		}
		return host.equals("localhost") || IPV4.matcher(host).matches() || this.browserHosts.contains(host);
	}

	private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

	private static boolean isOwnOrigin(HttpServletRequest request, String origin) {
		String authority = authority(origin);
		if (authority == null) {
			return false;
		}
		String host = request.getHeader("Host");
		if (host != null && authority.equalsIgnoreCase(host.trim())) {
			return true;
		}
		String server = request.getServerName() + ":" + request.getServerPort();
		return authority.equalsIgnoreCase(server) || (authority.equalsIgnoreCase(request.getServerName())
				&& request.getServerPort() == defaultPort(origin));
	}

	/** The {@code host[:port]} of an origin, or {@code null} if it is not an http(s) origin. */
	private static @Nullable String authority(String origin) {
		try {
			URI uri = new URI(origin);
			String scheme = uri.getScheme();
			if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
					|| uri.getRawAuthority() == null) {
				return null;
			}
			return uri.getRawAuthority();
		}
		catch (URISyntaxException ex) {
			return null;
		}
	}

	private static int defaultPort(String origin) {
		return origin.regionMatches(true, 0, "https:", 0, 6) ? 443 : 80;
	}

	private static LockServiceException refused(String why) {
		return LockServiceException.forbidden("cross-site request refused: " + why
				+ "; the lock service API is for scripts and servers, not for pages of other sites "
				+ "(send no Origin and no Sec-Fetch-Site, as curl does)");
	}

	private static String abbreviate(String text) {
		String printable = text.replaceAll("\\p{Cntrl}", "?");
		return (printable.length() <= 100) ? printable : printable.substring(0, 100) + "...";
	}

}
