package io.handlerregistry.osgi;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RequestContext;

/**
 * An OSGi framework embedded in the test JVM (whichever one is on the class path) with the bundles
 * of feature handler-registry started (the runtime list, distribution/src/main/feature/features.xml),
 * or those of feature handler-registry-http for the HTTP tests, and the handler bundles of this build
 * at hand. The registry's API and SPI packages are exported by the system bundle, as an application
 * that embeds the framework and calls the registry does, so tests and bundles share their classes.
 */
final class OsgiFramework implements AutoCloseable {
    static final Path BUNDLES = Path.of(System.getProperty("bundles.dir", "target/bundles"));
    static final Path RUNTIME = Path.of(System.getProperty("runtime.dir", "target/runtime"));
    /** Feature handler-registry-http: the above, the HTTP front, Jetty 12.1, SLF4J 2, SPI Fly. */
    static final Path RUNTIME_HTTP = Path.of(System.getProperty("runtime.http.dir", "target/runtime-http"));
    /** The bundles of features handler-registry-http and handler-registry-admin. */
    static final Path RUNTIME_ADMIN = Path.of(System.getProperty("runtime.admin.dir", "target/runtime-admin"));
    /**
     * Bundles started before all others, as the container starts them at start level 1: SLF4J looks for
     * its provider once, when Jetty first logs, and finds slf4j-jdk14 only if SPI Fly (with ASM) and
     * slf4j-jdk14 are active by then; else Jetty's log goes nowhere ("No SLF4J providers were found").
     */
    private static final Set<String> STARTED_FIRST = Set.of("org.objectweb.asm", "org.objectweb.asm.tree",
            "org.objectweb.asm.tree.analysis", "org.objectweb.asm.commons", "org.objectweb.asm.util",
            "org.apache.aries.spifly.dynamic.bundle", "slf4j.api", "slf4j.jdk14");
    /** The API and SPI packages, exported by the system bundle at the versions registry-core exports them. */
    private static final String SHARED_PACKAGES = sharedPackages();
    private static final Path NATIVE_CAPABILITY_SCRIPT = Path.of(System.getProperty("native.capability.script",
            "../native-capability.sh"));

    private final Framework framework;
    private final ServiceTracker<HandlerRegistry, HandlerRegistry> registry;

    OsgiFramework(Path storage, Map<String, String> properties) throws BundleException {
        this(storage, true, properties, runtimeBundles(RUNTIME), List.of());
    }

    /** With more bundles, installed and started with the runtime ones (e.g. FileInstall). */
    OsgiFramework(Path storage, Map<String, String> properties, List<Path> moreBundles) throws BundleException {
        this(storage, true, properties, runtimeBundles(RUNTIME), moreBundles);
    }

    /**
     * With the bundles of feature handler-registry-http (the HTTP front) and more, as an application
     * embeds the front: SLF4J, its provider and SPI Fly started first.
     */
    static OsgiFramework withHttp(Path storage, Map<String, String> properties, List<Path> moreBundles)
            throws BundleException {
        return new OsgiFramework(storage, true, properties, runtimeBundles(RUNTIME_HTTP), moreBundles);
    }

    /** With the bundles of features handler-registry-http and handler-registry-admin (the admin front), and more. */
    static OsgiFramework withAdmin(Path storage, Map<String, String> properties, List<Path> moreBundles)
            throws BundleException {
        return new OsgiFramework(storage, true, properties, runtimeBundles(RUNTIME_ADMIN), moreBundles);
    }

    /**
     * A framework whose bundle cache survives from one start to the next (as Equinox and Karaf keep
     * theirs by default): what an earlier start installed is there again.
     */
    static OsgiFramework persistent(Path storage) throws BundleException {
        return new OsgiFramework(storage, false, Map.of(), runtimeBundles(RUNTIME), List.of());
    }

    private OsgiFramework(Path storage, boolean clean, Map<String, String> properties, List<Path> runtime,
            List<Path> moreBundles) throws BundleException {
        Map<String, String> config = new HashMap<>();
        config.put("org.osgi.framework.storage", storage.toString());
        config.put("org.osgi.framework.storage.clean", clean ? "onFirstInit" : "none");
        config.put("ds.loglevel", "warn"); // SCR says why a component does not activate
        config.put("org.osgi.framework.system.packages.extra", SHARED_PACKAGES);
        config.putAll(properties);
        framework = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(config);
        framework.start();
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : runtime) {
            installed.add(install(jar));
        }
        for (Path jar : moreBundles) {
            installed.add(install(jar));
        }
        for (Bundle bundle : installed) {
            if (STARTED_FIRST.contains(bundle.getSymbolicName())) {
                bundle.start();
            }
        }
        for (Bundle bundle : installed) {
            if (!STARTED_FIRST.contains(bundle.getSymbolicName()) && bundle.getHeaders().get("Fragment-Host") == null) {
                bundle.start();
            }
        }
        registry = new ServiceTracker<>(context(), HandlerRegistry.class, null);
        registry.open();
    }

    private static String sharedPackages() {
        for (Path jar : runtimeBundles(RUNTIME)) {
            try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
                Attributes main = file.getManifest().getMainAttributes();
                if ("io.handlerregistry.core".equals(main.getValue("Bundle-SymbolicName"))) {
                    java.util.regex.Matcher m = java.util.regex.Pattern
                            .compile("(io\\.handlerregistry\\.(?:api|spi));version=\"([^\"]+)\"")
                            .matcher(main.getValue("Export-Package"));
                    List<String> packages = new ArrayList<>();
                    while (m.find()) {
                        packages.add(m.group(1) + ";version=" + m.group(2));
                    }
                    return String.join(",", packages);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("registry-core is not among the runtime bundles in " + RUNTIME);
    }

    /** The jars of a feature (in RUNTIME: handler-registry; in RUNTIME_HTTP: handler-registry-http). */
    static List<Path> runtimeBundles(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> jars = files.filter(f -> f.toString().endsWith(".jar")).sorted().collect(Collectors.toList());
            if (jars.isEmpty()) {
                throw new IllegalStateException("no runtime bundles in " + directory + ": run the build (mvn verify)");
            }
            return jars;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    BundleContext context() {
        return framework.getBundleContext();
    }

    /** The system bundle's name: org.apache.felix.framework or org.eclipse.osgi. */
    String name() {
        return framework.getSymbolicName();
    }

    /** The HandlerRegistry service, waiting for SCR to activate it. */
    HandlerRegistry registry() throws InterruptedException {
        HandlerRegistry service = registry.waitForService(TimeUnit.SECONDS.toMillis(30));
        if (service == null) {
            throw new IllegalStateException("no HandlerRegistry service after 30 s; bundles: " + bundles());
        }
        return service;
    }

    /**
     * The port the HTTP front listens on (its HttpFront service's first listener), once it does.
     * Through reflection: the front's API package is the registry-http bundle's, not the test's.
     */
    int httpPort() throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context(),
                context().createFilter("(objectClass=io.handlerregistry.http.api.HttpFront)"), null);
        tracker.open(true);
        try {
            Object front = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
            if (front == null) {
                throw new IllegalStateException("no HttpFront service after 30 s; bundles: " + bundles());
            }
            await("the HTTP front's listener").until(() -> !((List<?>) call(front, "listeners", new Class<?>[0])).isEmpty());
            Object listener = ((List<?>) call(front, "listeners", new Class<?>[0])).get(0);
            return (Integer) listener.getClass().getMethod("port").invoke(listener);
        } finally {
            tracker.close();
        }
    }

    /**
     * Creates or updates a configuration through the framework's Config Admin service, as a management
     * agent (Karaf's config:edit, the Web Console, FileInstall's *.cfg) does. Through reflection: the
     * Config Admin API lives inside the framework, not on the test's class path.
     */
    void configure(String pid, Map<String, ?> properties) throws Exception {
        ServiceTracker<Object, Object> admin = new ServiceTracker<>(context(),
                context().createFilter("(objectClass=org.osgi.service.cm.ConfigurationAdmin)"), null);
        admin.open(true);
        try {
            Object service = admin.waitForService(TimeUnit.SECONDS.toMillis(30));
            if (service == null) {
                throw new IllegalStateException("no ConfigurationAdmin service; bundles: " + bundles());
            }
            Object configuration = call(service, "getConfiguration", new Class<?>[] {String.class, String.class},
                    pid, "?");
            call(configuration, "update", new Class<?>[] {java.util.Dictionary.class},
                    new java.util.Hashtable<>(properties));
        } finally {
            admin.close();
        }
    }

    /** Calls a public method of an object from the framework's class space, by its interface's name. */
    static Object call(Object target, String method, Class<?>[] types, Object... args) throws Exception {
        for (Class<?> type : target.getClass().getInterfaces()) {
            try {
                return type.getMethod(method, types).invoke(target, args);
            } catch (NoSuchMethodException e) {
                // not declared by this interface
            }
        }
        return target.getClass().getMethod(method, types).invoke(target, args);
    }

    /**
     * A call to endpoint slow (bundle handler-slow) that stays inside its library until {@code gate}
     * exists; returns once the call is inside.
     */
    static CompletableFuture<String> slowCallHeldAt(HandlerRegistry registry, Path gate) {
        CompletableFuture<String> call = registry.executeAsync("slow", RequestContext.create(),
                HandlerRequest.of("wait:" + gate)).thenApply(r -> r.bodyAsString());
        await().until(() -> registry.handler("slow").map(LoadedHandler::activeRequests).orElse(0L) == 1);
        return call;
    }

    /** Stops a bundle on a thread of its own: a stop may wait for the calls inside its library. */
    static CompletableFuture<Void> stopAsync(Bundle bundle) {
        return CompletableFuture.runAsync(() -> {
            try {
                bundle.stop();
            } catch (BundleException e) {
                throw new IllegalStateException(e);
            }
        }, OsgiFramework::ownThread);
    }

    /**
     * Runs a task that may block for long on a new daemon thread: never on the common pool, which
     * has one thread on 2 cores (JDK 25's CompletableFuture uses it there; JDK 17's made a thread
     * per task), so that one blocked task held up every later one, in later tests too.
     */
    static void ownThread(Runnable task) {
        Thread thread = new Thread(task, "osgi-test-task");
        thread.setDaemon(true);
        thread.start();
    }

    /** Installs one of this build's handler bundles, e.g. "handler-greeting-v1", without starting it. */
    Bundle installHandler(String name) throws BundleException {
        return install(BUNDLES.resolve(name + ".jar"));
    }

    Bundle install(Path jar) throws BundleException {
        return context().installBundle(jar.toUri().toString());
    }

    String bundles() {
        return List.of(context().getBundles()).stream()
                .map(b -> b.getSymbolicName() + " " + b.getVersion() + " state " + b.getState())
                .collect(Collectors.joining(", "));
    }

    /** Puts a jar at {@code target} the safe way, as README says: a hidden temporary name, then rename. */
    static void drop(Path jar, Path target) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".part");
        Files.copy(jar, temp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** A copy of a jar with one more entry: the same bundle (name, version), built again. */
    static Path withEntry(Path jar, Path copy, String name, String content) throws IOException {
        try (java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(Files.newInputStream(jar));
                JarOutputStream out = new JarOutputStream(Files.newOutputStream(copy), in.getManifest())) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                out.putNextEntry(new JarEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry(name));
            out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return copy;
    }

    /** Writes a jar with a manifest and entries (name to content) for tests of odd bundles. */
    static Path jar(Path file, Map<String, String> headers, Map<String, byte[]> entries) {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * The Require-Capability the build gives a handler bundle with these native/&lt;platform&gt;
     * folders (bundles/native-capability.sh, which the build runs for every handler bundle).
     */
    static String nativeRequirement(Path nativeDir) throws IOException, InterruptedException {
        Process script = new ProcessBuilder("bash", NATIVE_CAPABILITY_SCRIPT.toString(), nativeDir.toString())
                .redirectErrorStream(true).start();
        String out = new String(script.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (script.waitFor() != 0) {
            throw new IllegalStateException(NATIVE_CAPABILITY_SCRIPT + " failed: " + out);
        }
        return out.strip();
    }

    /** Lines of /proc/self/maps naming a file under {@code directory}. */
    static List<String> mappingsUnder(Path directory) throws IOException {
        String prefix = directory.toAbsolutePath().toString();
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(line -> line.contains(prefix))
                .collect(Collectors.toList());
    }

    @Override
    public void close() throws BundleException {
        registry.close();
        framework.stop();
        try {
            framework.waitForStop(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the framework stopped", e);
        }
    }
}
