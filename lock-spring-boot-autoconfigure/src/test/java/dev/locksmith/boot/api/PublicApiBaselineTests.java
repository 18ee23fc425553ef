package dev.locksmith.boot.api;

import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Makes public API changes deliberate: the public and protected signatures of the API packages
 * ({@code dev.locksmith}, {@code dev.locksmith.spi}, {@code dev.locksmith.provider.support},
 * {@code dev.locksmith.boot.annotation}) and of
 * {@code LocksmithProperties} (the {@code locksmith.*} properties), read by reflection, must equal the
 * committed baseline {@code src/test/resources/api/public-api.txt}.
 * <p>
 * After a deliberate change (see the versioning policy in CHANGELOG.md), regenerate the baseline and commit
 * it with the change:
 * <pre>
 * ./mvnw -o -pl lock-spring-boot-autoconfigure -am test -Dtest=PublicApiBaselineTests \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dlocksmith.api.update=true
 * </pre>
 * Once a release exists, the japicmp execution of the release profile compares binaries against it too.
 */
class PublicApiBaselineTests {

	private static final Path BASELINE = Path.of("src/test/resources/api/public-api.txt");

	/** Packages whose every public type is API (classes of the package itself, not sub-packages). */
	private static final List<String> API_PACKAGES = List.of("dev.locksmith", "dev.locksmith.spi",
			"dev.locksmith.provider.support", "dev.locksmith.boot.annotation");

	/** Single types outside those packages that are API: the bound {@code locksmith.*} properties. */
	private static final List<String> API_TYPES = List.of("dev.locksmith.boot.autoconfigure.LocksmithProperties");

	@Test
	void publicApiEqualsTheCommittedBaseline() throws Exception {
		List<String> current = currentSignatures();
		assertThat(current).as("public API signatures").isNotEmpty();
		if (Boolean.getBoolean("locksmith.api.update")) {
			Files.write(BASELINE, current, StandardCharsets.UTF_8);
			return;
		}
		List<String> baseline = Files.exists(BASELINE) ? Files.readAllLines(BASELINE, StandardCharsets.UTF_8)
				: List.of();
		List<String> added = current.stream().filter((line) -> !baseline.contains(line)).toList();
		List<String> removed = baseline.stream().filter((line) -> !current.contains(line)).toList();
		assertThat(added.isEmpty() && removed.isEmpty())
			.as("The public API changed without updating %s.%nRemoved or changed:%n  %s%nAdded:%n  %s%n"
					+ "If the change is deliberate, regenerate the baseline with -Dlocksmith.api.update=true "
					+ "(see this test's javadoc) and record the change in CHANGELOG.md.", BASELINE,
					String.join("\n  ", removed), String.join("\n  ", added))
			.isTrue();
	}

	/**
	 * Returns the sorted signatures of every public type in the API packages and of the API types, with their
	 * nested public types.
	 */
	static List<String> currentSignatures() throws IOException, ClassNotFoundException {
		TreeSet<String> signatures = new TreeSet<>();
		for (Class<?> type : apiTypes()) {
			describe(type, signatures);
		}
		return new ArrayList<>(signatures);
	}

	private static List<Class<?>> apiTypes() throws IOException, ClassNotFoundException {
		List<Class<?>> types = new ArrayList<>();
		PathMatchingResourcePatternResolver resolver = new PathMatchingResourcePatternResolver();
		for (String pkg : API_PACKAGES) {
			for (Resource resource : resolver.getResources("classpath*:" + pkg.replace('.', '/') + "/*.class")) {
				String location = resource.getURL().toString();
				if (location.contains("/test-classes/") || location.contains("-tests.jar!")) {
					continue; // test kit and tests share the packages; they are not API
				}
				String file = resource.getFilename();
				if (file == null || file.contains("$") || file.equals("package-info.class")) {
					continue; // nested types are described with their enclosing type
				}
				Class<?> type = Class.forName(pkg + "." + file.substring(0, file.length() - ".class".length()));
				if (Modifier.isPublic(type.getModifiers())) {
					types.add(type);
				}
			}
		}
		for (String name : API_TYPES) {
			types.add(Class.forName(name));
		}
		return types;
	}

	private static void describe(Class<?> type, TreeSet<String> out) {
		String name = type.getName();
		StringBuilder header = new StringBuilder(type.toGenericString());
		if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class
				&& !type.isEnum() && !type.isRecord()) {
			header.append(" extends ").append(type.getGenericSuperclass().getTypeName());
		}
		if (type.getGenericInterfaces().length > 0 && !type.isAnnotation()) {
			header.append(type.isInterface() ? " extends " : " implements ")
				.append(Arrays.stream(type.getGenericInterfaces())
					.map(java.lang.reflect.Type::getTypeName)
					.sorted()
					.collect(Collectors.joining(", ")));
		}
		out.add(name + " :: " + header + annotationsOf(type));
		for (Constructor<?> constructor : type.getDeclaredConstructors()) {
			if (isApi(constructor)) {
				out.add(name + " :: " + constructor.toGenericString());
			}
		}
		for (Method method : type.getDeclaredMethods()) {
			if (isApi(method) && !method.isBridge()) {
				String defaultValue = (method.getDefaultValue() != null)
						? " default " + valueText(method.getDefaultValue()) : "";
				out.add(name + " :: " + method.toGenericString() + defaultValue);
			}
		}
		for (Field field : type.getDeclaredFields()) {
			if (isApi(field)) {
				out.add(name + " :: " + field.toGenericString());
			}
		}
		for (Class<?> nested : type.getDeclaredClasses()) {
			int modifiers = nested.getModifiers();
			if (!nested.isSynthetic() && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers))) {
				describe(nested, out);
			}
		}
	}

	private static boolean isApi(Member member) {
		int modifiers = member.getModifiers();
		return !member.isSynthetic() && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers));
	}

	/** Retention and target of an annotation type are part of its contract. */
	private static String annotationsOf(AnnotatedElement type) {
		if (!(type instanceof Class<?> cls) || !cls.isAnnotation()) {
			return "";
		}
		return Stream.of(cls.getAnnotation(java.lang.annotation.Retention.class),
				cls.getAnnotation(java.lang.annotation.Target.class))
			.filter((annotation) -> annotation != null)
			.map((annotation) -> " @" + annotation.annotationType().getSimpleName() + "("
					+ (annotation instanceof java.lang.annotation.Retention retention ? retention.value()
							: Arrays.stream(((java.lang.annotation.Target) annotation).value())
								.map(Enum::name)
								.sorted()
								.collect(Collectors.joining(",")))
					+ ")")
			.collect(Collectors.joining());
	}

	private static String valueText(Object value) {
		if (value.getClass().isArray()) {
			if (value instanceof Object[] array) {
				return Arrays.stream(array).map(PublicApiBaselineTests::valueText).toList().toString();
			}
			return value.getClass().getComponentType().getName() + "[]";
		}
		if (value instanceof Class<?> cls) {
			return cls.getName() + ".class";
		}
		return String.valueOf(value);
	}

}
