package io.handlerregistry.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * README's "Embedding in your OSGi application" names exactly the bundles of the features (the
 * runtime, shell and HTTP front lists), with this build's versions, so that following it word for
 * word installs what the container and the tests run.
 */
class EmbeddingReadmeTest {
    private static final Path README = Path.of(System.getProperty("readme", "../README.md"));
    private static final Path FEATURES = Path.of(System.getProperty("features.file", "target/feature/features.xml"));
    private static final String VERSION = System.getProperty("project.version");

    @Test
    void theBundleListsAreThoseOfTheFeatures() throws Exception {
        String section = embeddingSection();
        assertThat(list(section, "runtime")).containsExactlyInAnyOrderElementsOf(bundles("handler-registry"));
        assertThat(list(section, "shell")).containsExactlyInAnyOrderElementsOf(bundles("handler-registry-shell"));
        assertThat(list(section, "http")).containsExactlyInAnyOrderElementsOf(bundles("handler-registry-http"));
    }

    /**
     * The admin front's list is its feature's bundles beyond those of the HTTP front (Jetty, SLF4J, SPI Fly), which
     * it runs on. The README had none: the admin front could not be embedded by following it.
     */
    @Test
    void theAdminListIsTheAdminFeatureBeyondTheHttpFront() throws Exception {
        String section = embeddingSection();
        List<String> admin = new ArrayList<>(bundles("handler-registry-admin"));
        admin.removeAll(list(section, "http"));
        assertThat(list(section, "admin")).containsExactlyInAnyOrderElementsOf(admin);
    }

    /** The application's HTTP Whiteboard that WhiteboardTest runs: Felix HTTP light on this build's Jetty. */
    @Test
    void theWhiteboardListIsWhatTheTestsRun() throws Exception {
        List<String> whiteboard = list(embeddingSection(), "whiteboard");
        String jetty = System.getProperty("jetty.version");
        assertThat(whiteboard).contains(
                "org.apache.felix:org.apache.felix.http.jetty12:" + System.getProperty("felix.http.jetty12.version")
                        + ":jar:light",
                "org.apache.felix:org.apache.felix.http.servlet-api:" + System.getProperty("felix.http.servlet-api.version"),
                "org.eclipse.jetty.ee10:jetty-ee10-servlet:" + jetty, "org.eclipse.jetty:jetty-security:" + jetty,
                "org.eclipse.jetty:jetty-session:" + jetty, "org.eclipse.jetty:jetty-alpn-server:" + jetty,
                "org.eclipse.jetty:jetty-jmx:" + jetty);
    }

    @Test
    void theVersionsAreThoseOfThisBuild() throws Exception {
        String section = embeddingSection();
        assertThat(section)
                .contains("feature:repo-add mvn:io.handlerregistry/handler-registry/" + VERSION + "/xml/features")
                .contains("handler-echo-" + VERSION + ".jar")
                .contains("org.apache.felix:org.apache.felix.main:" + System.getProperty("felix.version"))
                .contains("org.apache.felix.main-" + System.getProperty("felix.version") + ".jar")
                .contains("org.eclipse.platform:org.eclipse.osgi:" + System.getProperty("equinox.version"))
                .contains("org.eclipse.osgi-" + System.getProperty("equinox.version") + ".jar");
    }

    private static String embeddingSection() throws Exception {
        String readme = Files.readString(README);
        int start = readme.indexOf("## Embedding in your OSGi application");
        assertThat(start).as("README has the embedding section").isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    /** The Maven coordinates of a shell variable of the section, e.g. runtime="g:a:v g:a:v". */
    private static List<String> list(String section, String variable) {
        Matcher m = Pattern.compile("(?m)^" + variable + "=\"([^\"]*)\"$").matcher(section);
        assertThat(m.find()).as("README sets " + variable).isTrue();
        return List.of(m.group(1).strip().split("\\s+"));
    }

    /** The bundles a feature lists itself (not those of the features it includes), as group:artifact:version. */
    private static List<String> bundles(String feature) throws Exception {
        Document features = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(FEATURES.toFile());
        NodeList all = features.getElementsByTagName("feature");
        List<String> result = new ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            Element element = (Element) all.item(i);
            if (feature.equals(element.getAttribute("name"))) {
                NodeList bundles = element.getElementsByTagName("bundle");
                for (int j = 0; j < bundles.getLength(); j++) {
                    result.add(bundles.item(j).getTextContent().strip().replaceFirst("^mvn:", "").replace('/', ':'));
                }
            }
        }
        assertThat(result).as("bundles of feature " + feature).isNotEmpty();
        return result;
    }
}
