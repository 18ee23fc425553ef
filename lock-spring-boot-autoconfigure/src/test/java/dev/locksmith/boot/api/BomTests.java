package dev.locksmith.boot.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps {@code lock-bom} in step with the build: it has no parent (so importing it brings in no Spring Boot
 * versions), so nothing else makes it list every published module or carry the reactor's version.
 */
class BomTests {

	private static final Path ROOT = Path.of("..");

	@Test
	void bomListsEveryPublishedModuleAtTheReactorVersion() throws Exception {
		Document root = parse(ROOT.resolve("pom.xml"));
		Document bom = parse(ROOT.resolve("lock-bom/pom.xml"));
		String version = childText(root.getDocumentElement(), "version");

		List<String> published = new ArrayList<>();
		for (Element module : children(child(root.getDocumentElement(), "modules"), "module")) {
			Document pom = parse(ROOT.resolve(module.getTextContent().trim()).resolve("pom.xml"));
			String artifactId = childText(pom.getDocumentElement(), "artifactId");
			Element properties = child(pom.getDocumentElement(), "properties");
			boolean deploySkipped = properties != null
					&& "true".equals(childText(properties, "maven.deploy.skip"));
			if (!deploySkipped && !artifactId.equals("lock-bom")) {
				published.add(artifactId);
			}
		}
		Element management = child(child(bom.getDocumentElement(), "dependencyManagement"), "dependencies");
		List<String> listed = new ArrayList<>();
		for (Element dependency : children(management, "dependency")) {
			assertThat(childText(dependency, "groupId")).isEqualTo("dev.locksmith");
			assertThat(childText(dependency, "version")).isEqualTo("${project.version}");
			listed.add(childText(dependency, "artifactId"));
			assertThat(childText(dependency, "type"))
				.as("%s: the BOM offers no test-jar (the provider contract kit is lock-test)",
						childText(dependency, "artifactId"))
				.isNull();
		}

		assertThat(childText(bom.getDocumentElement(), "version")).as("lock-bom version").isEqualTo(version);
		assertThat(listed).as("lock-bom's dependencyManagement").containsAll(published);
		assertThat(published).as("published modules (no maven.deploy.skip)").containsAll(listed);
	}

	private static Document parse(Path pom) throws Exception {
		return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
	}

	private static Element child(Element parent, String name) {
		List<Element> found = children(parent, name);
		return found.isEmpty() ? null : found.get(0);
	}

	private static String childText(Element parent, String name) {
		Element child = child(parent, name);
		return (child != null) ? child.getTextContent().trim() : null;
	}

	private static List<Element> children(Element parent, String name) {
		List<Element> found = new ArrayList<>();
		NodeList nodes = parent.getChildNodes();
		for (int i = 0; i < nodes.getLength(); i++) {
			if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE && nodes.item(i).getNodeName().equals(name)) {
				found.add((Element) nodes.item(i));
			}
		}
		return found;
	}

}
