package io.handlerregistry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The packages of registry-core are layers: each may use only the layers below it, so nothing
 * imports back up and there are no cycles, and the engine (the request path) imports no OSGi. Read
 * from the compiled classes with jdeps, and for annotations (which jdeps does not report) from the
 * class files themselves.
 */
class PackageLayersTest {
    private static final Path CLASSES = Path.of(System.getProperty("classes.dir", "target/classes"));
    private static final String ROOT = "io.handlerregistry.";
    /** Bottom to top: a package may depend on the ones before it in this list. */
    private static final List<String> LAYERS = List.of("api", "spi", "engine", "osgi", "bundle", "deploy");

    @Test
    void eachPackageUsesOnlyTheLayersBelowIt() {
        Map<String, Set<String>> uses = projectDependencies();
        assertThat(uses.keySet()).as("packages found by jdeps").containsAll(LAYERS);
        uses.forEach((from, targets) -> {
            assertThat(LAYERS).as("a layer for package " + ROOT + from).contains(from);
            List<String> below = LAYERS.subList(0, LAYERS.indexOf(from));
            assertThat(targets).as(ROOT + from + " may use only " + below).isSubsetOf(below);
        });
    }

    @Test
    void theEngineImportsNoOsgiClassNorAnnotation() throws IOException {
        assertThat(dependencies().getOrDefault(ROOT + "engine", Set.of()))
                .noneMatch(target -> target.startsWith("org.osgi."));
        Path engine = CLASSES.resolve("io/handlerregistry/engine");
        try (Stream<Path> files = Files.list(engine)) {
            List<Path> classes = files.filter(f -> f.toString().endsWith(".class")).collect(Collectors.toList());
            assertThat(classes).isNotEmpty();
            for (Path file : classes) {
                String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                assertThat(bytes).as(file + " mentions an OSGi type").doesNotContain("org/osgi/");
            }
        }
    }

    @Test
    void theApiAndSpiUseNothingButTheJdk() {
        Map<String, Set<String>> all = dependencies();
        assertThat(all.get(ROOT + "api")).allMatch(target -> target.startsWith("java."));
        assertThat(all.get(ROOT + "spi")).allMatch(target -> target.startsWith("java.") || target.equals(ROOT + "api"));
    }

    /** Project package (short name) to the project packages it uses. */
    private static Map<String, Set<String>> projectDependencies() {
        return dependencies().entrySet().stream().collect(Collectors.toMap(
                e -> e.getKey().substring(ROOT.length()),
                e -> e.getValue().stream().filter(t -> t.startsWith(ROOT)).map(t -> t.substring(ROOT.length()))
                        .collect(Collectors.toCollection(TreeSet::new))));
    }

    /** Every project package to every package it uses (other than itself), as jdeps reports them. */
    private static Map<String, Set<String>> dependencies() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int status = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-filter:package",
                CLASSES.toString());
        assertThat(status).as(out.toString()).isZero();
        Pattern edge = Pattern.compile("^\\s+(" + Pattern.quote(ROOT) + "\\S+)\\s+->\\s+(\\S+)", Pattern.MULTILINE);
        Map<String, Set<String>> result = new java.util.TreeMap<>();
        Matcher m = edge.matcher(out.toString());
        while (m.find()) {
            result.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
        return result;
    }
}
