package io.handlerregistry.shell.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;

/**
 * The Gogo commands of scope {@code handler}. They return values (tables, results) that Gogo
 * prints; failures are exceptions whose message names the endpoint, the file and what to do.
 */
@Component(service = HandlerCommands.class, property = {
    "osgi.command.scope=handler",
    "osgi.command.function=list", "osgi.command.function=info", "osgi.command.function=call",
    "osgi.command.function=load", "osgi.command.function=unload", "osgi.command.function=swap",
    "osgi.command.function=stats", "osgi.command.function=cleanup", "osgi.command.function=draining",
    "osgi.command.function=bench", "osgi.command.function=deployments"})
public final class HandlerCommands {
    private final HandlerRegistry registry;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<DeployFolder> deployFolders;

    @Activate
    public HandlerCommands(@Reference HandlerRegistry registry) {
        this.registry = registry;
    }

    @Descriptor("lists every loaded handler version: active ones, then draining ones")
    public Table list() {
        Table table = new Table("endpoint", "version", "state", "in-flight", "calls", "errors", "source");
        for (LoadedHandler h : registry.handlers()) {
            table.row(h.endpointId(), h.version().orElse("#" + h.generation()), h.state(), h.activeRequests(),
                    h.totalCalls(), h.failedCalls(), h.source());
        }
        return table;
    }

    @Descriptor("shows everything known about the versions of one endpoint")
    public Table info(@Descriptor("endpoint id") String endpoint) {
        HandlerRegistry.checkEndpointId(endpoint);
        List<LoadedHandler> versions = registry.handlers().stream().filter(h -> h.endpointId().equals(endpoint))
                .collect(Collectors.toList());
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("no version of endpoint '" + endpoint + "' is loaded; see handler:list");
        }
        Table table = new Table("property", "value");
        for (LoadedHandler h : versions) {
            table.row("endpoint", h.endpointId())
                    .row("generation", h.generation())
                    .row("version", h.version().orElse(null))
                    .row("state", h.state())
                    .row("in-flight", h.activeRequests())
                    .row("calls", h.totalCalls())
                    .row("errors", h.failedCalls())
                    .row("loaded", Units.time(h.loadedAt()))
                    .row("draining since", h.drainingSince().map(Units::time).orElse(null))
                    .row("source", h.source())
                    .row("loaded copy", h.loadedCopy().map(Path::toString).orElse(null));
        }
        return table;
    }

    @Descriptor("calls an endpoint and shows its answer: status, headers, body")
    public CallResult call(
            @Descriptor("method (default GET, POST with a body)") @Parameter(names = {"-m", "--method"}, absentValue = "") String method,
            @Descriptor("path") @Parameter(names = {"-p", "--path"}, absentValue = "/") String path,
            @Descriptor("query string, without ?") @Parameter(names = {"-q", "--query"}, absentValue = "") String query,
            @Descriptor("headers: 'Name: value', several separated by ';'") @Parameter(names = {"-H", "--header"}, absentValue = "") String headers,
            @Descriptor("read the body from this file") @Parameter(names = {"-f", "--file"}, absentValue = "") String file,
            @Descriptor("timeout in ms, 0 for none") @Parameter(names = {"-t", "--timeout"}, absentValue = "0") long timeout,
            @Descriptor("endpoint id") String endpoint,
            @Descriptor("request body, UTF-8 (words are joined with single spaces; none: empty)") String... body)
            throws IOException {
        HandlerRequest.Builder request = HandlerRequest.builder().path(path).query(query);
        if (!file.isEmpty()) {
            request.body(Files.readAllBytes(Path.of(file)));
        } else if (body.length > 0) {
            request.body(String.join(" ", body));
        }
        boolean hasBody = !file.isEmpty() || body.length > 0;
        request.method(!method.isEmpty() ? method : hasBody ? "POST" : "GET");
        for (String header : headers.split(";")) {
            if (!header.isBlank()) {
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("header '" + header.strip() + "' is not 'Name: value'");
                }
                request.header(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
            }
        }
        long start = System.nanoTime();
        HandlerResponse response = timeout > 0
                ? registry.executeWithTimeout(endpoint, RequestContext.create(), request.build(), Duration.ofMillis(timeout))
                : registry.execute(endpoint, RequestContext.create(), request.build());
        return new CallResult(endpoint, response, System.nanoTime() - start);
    }

    @Descriptor("loads the endpoint's library from the handlers directory (libhandler_<id>.so)")
    public Table load(@Descriptor("endpoint id") String endpoint) {
        return row(registry.load(endpoint));
    }

    @Descriptor("loads a library file for an endpoint")
    public Table load(@Descriptor("endpoint id") String endpoint, @Descriptor("library file") String library) {
        return row(registry.loadFrom(endpoint, Path.of(library)));
    }

    @Descriptor("stops an endpoint taking calls; its library is unloaded once the calls inside returned")
    public String unload(@Descriptor("endpoint id") String endpoint) {
        if (!registry.unload(endpoint)) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is not loaded; see handler:list");
        }
        return "endpoint '" + endpoint + "' unloaded; calls still inside finish first (see handler:draining)";
    }

    @Descriptor("replaces an endpoint's library: new calls go to the new one at once")
    public String swap(
            @Descriptor("wait for the old version's calls and unload it") @Parameter(names = {"-g", "--graceful"}, presentValue = "true", absentValue = "false") boolean graceful,
            @Descriptor("graceful: how long to wait, in ms") @Parameter(names = {"-t", "--timeout"}, absentValue = "30000") long timeout,
            @Descriptor("endpoint id") String endpoint,
            @Descriptor("library file") String library) {
        SwapResult result = graceful ? registry.swapGraceful(endpoint, Path.of(library), Duration.ofMillis(timeout))
                : registry.swap(endpoint, Path.of(library));
        String old = !result.swapped() ? "it had no version before"
                : result.draining() ? "the old version drains, " + result.oldRequestsPending()
                        + " calls still inside (see handler:draining)"
                : "the old version is unloaded";
        return "endpoint '" + endpoint + "' now serves " + Path.of(library).toAbsolutePath() + "; " + old;
    }

    @Descriptor("counts of loaded and draining versions and of the calls inside them")
    public Table stats() {
        RegistryStats s = registry.stats();
        return new Table("loaded", "draining", "active requests", "draining requests")
                .row(s.loadedCount(), s.drainingCount(), s.activeRequests(), s.drainingRequests());
    }

    @Descriptor("unloads the draining versions that have no call left inside")
    public String cleanup() {
        int n = registry.cleanupDrained();
        return "unloaded " + n + " drained version" + (n == 1 ? "" : "s");
    }

    @Descriptor("lists the versions that were replaced or unloaded and still have calls inside")
    public Table draining() {
        Table table = new Table("endpoint", "version", "draining since", "calls left", "source");
        for (LoadedHandler h : registry.handlers()) {
            if (h.isDraining()) {
                table.row(h.endpointId(), h.version().orElse("#" + h.generation()),
                        h.drainingSince().map(Units::ago).orElse(null), h.activeRequests(), h.source());
            }
        }
        return table;
    }

    @Descriptor("calls an endpoint from several threads and reports calls, failures, latencies and answers")
    public Bench.Result bench(
            @Descriptor("threads") @Parameter(names = {"-t", "--threads"}, absentValue = "2") int threads,
            @Descriptor("seconds to run (unless --calls)") @Parameter(names = {"-d", "--duration"}, absentValue = "5") double seconds,
            @Descriptor("number of calls in all (0: run for --duration)") @Parameter(names = {"-n", "--calls"}, absentValue = "0") long calls,
            @Descriptor("request body") @Parameter(names = {"-b", "--body"}, absentValue = "bench") String body,
            @Descriptor("endpoint id") String endpoint) throws InterruptedException {
        if (threads < 1 || seconds <= 0 || calls < 0) {
            throw new IllegalArgumentException("need --threads >= 1, --duration > 0 and --calls >= 0");
        }
        if (!registry.isLoaded(endpoint)) {
            HandlerRegistry.checkEndpointId(endpoint);
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is not loaded; see handler:list");
        }
        return Bench.run(registry, endpoint, HandlerRequest.of(body), threads, (long) (seconds * 1e9), calls);
    }

    @Descriptor("lists the files of the deploy folders and what became of each: serving, standing by, draining,"
            + " pending, failed (and why) or ignored")
    public Table deployments() {
        List<DeployFolder> folders = deployFolders;
        if (folders == null || folders.isEmpty()) {
            throw new IllegalStateException("this container has no deploy folder: set 'directory' in the"
                    + " configuration io.handlerregistry.deploy (e.g. conf/io.handlerregistry.deploy.cfg)");
        }
        boolean several = folders.size() > 1;
        Table table = new Table("file", "state", "bundle", "detail");
        for (DeployFolder folder : folders) {
            for (DeployFolder.Deployment d : folder.deployments()) {
                String file = several ? folder.directory().getFileName() + "/" + d.file() : d.file();
                table.row(file, d.state(), d.bundleId() < 0 ? null : d.bundleId(), d.detail());
            }
        }
        return table;
    }

    private static Table row(LoadedHandler h) {
        return new Table("endpoint", "state", "source", "loaded copy")
                .row(h.endpointId(), h.state(), h.source(), h.loadedCopy().map(Path::toString).orElse(null));
    }
}
