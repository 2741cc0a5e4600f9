package io.handlerregistry.shell.internal;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerException;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerRequest;
import io.handlerregistry.api.HandlerResponse;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.RequestContext;
import io.handlerregistry.api.SwapResult;

/**
 * The Gogo commands of scope {@code handler}. They return values (tables, results) that Gogo
 * prints; failures are exceptions whose message names the endpoint, the file and what to do. Every
 * command answers {@code -h}/{@code --help} with its usage, written from its annotations; long ones
 * (bench, graceful swap, cleanup --wait, top) show progress on a terminal and stop at Ctrl-C.
 */
@Component(service = HandlerCommands.class)
public final class HandlerCommands {
    static final String SCOPE = "handler";
    /** The commands, in the order help lists them. */
    static final List<String> COMMANDS = List.of("list", "info", "call", "load", "swap", "unload", "history",
            "rollback", "split", "draining", "cleanup", "stats", "bench", "top", "deployments", "http", "health", "metrics",
            "help");
    /**
     * What the Gogo command service offers (see {@link ShellRegistration}): the commands, "handler"
     * (which Gogo's "help handler" finds) and the completion function of the shell profile.
     */
    static final List<String> FUNCTIONS = List.of("list", "info", "call", "load", "swap", "unload", "history",
            "rollback", "split", "draining", "cleanup", "stats", "bench", "top", "deployments", "http", "health", "metrics",
            "help", "handler",
            "_complete");
    // what a positional parameter is: its descriptor, which completion reads
    static final String ENDPOINT = "endpoint id";
    static final String NEW_ENDPOINT = "endpoint id, not loaded yet";
    static final String LIBRARY = "library file";
    static final String VERSION = "version, as handler:list shows it";
    static final String KEPT_VERSION = "version to go back to: its number or its version, as handler:history shows"
            + " it (default: the one before)";
    static final String CANARY = "canary: a library file, or a version the history keeps (its number or version)";
    static final String PERCENT = "percent of the new calls that go to the canary: more than 0, less than 100";
    static final String COMMAND = "command";
    static final String METRIC = "part of the name of a metric, e.g. requests, http, drain";
    private static final String ISOLATION = "where the library runs: in-process, or process (a worker process of"
            + " its own, restarted when it crashes); default: the setting of the registry for the endpoint";
    private static final String HELP = "shows this usage";
    private static final String NO_FORMAT = "rows only, cells separated by tabs, no header: for scripts";
    private static final long CLEANUP_POLL_MS = 100;

    private final HandlerRegistry registry;
    private final Completion completion;
    private final BundleContext context; // null outside a framework

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<DeployFolder> deployFolders;

    @Activate
    public HandlerCommands(@Reference HandlerRegistry registry, BundleContext context) {
        this.registry = registry;
        this.completion = new Completion(registry);
        this.context = context;
    }

    /** Commands without a framework around them (tests): {@code http} finds no HTTP front. */
    HandlerCommands(HandlerRegistry registry) {
        this(registry, null);
    }

    @Descriptor("lists every loaded handler version: active ones, then draining ones")
    public Object list(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat) {
        return Background.shown(() -> {
            if (help) {
                return usage("list");
            }
            Table table = new Table(Screen.current(noFormat), "endpoint", "version", "state", "isolation",
                    "in-flight", "overdue", "calls", "errors", "source");
            for (LoadedHandler h : registry.handlers()) {
                table.row(h.endpointId(), versionOf(h), state(h), isolation(h), h.activeRequests(), h.overdueCalls(),
                        h.totalCalls(), h.failedCalls(), h.source());
            }
            return table;
        });
    }

    @Descriptor("shows everything known about the versions of one endpoint (or one version of it)")
    public Object info(
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat,
            @Descriptor(ENDPOINT) String endpoint, @Descriptor(VERSION) String... version) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("info");
            }
            HandlerRegistry.checkEndpointId(endpoint);
            if (version.length > 1) {
                throw new UsageError("handler:info: give at most one version of endpoint '" + endpoint
                        + "', not " + version.length + ": see handler:info --help");
            }
            List<LoadedHandler> versions = registry.handlers().stream().filter(h -> h.endpointId().equals(endpoint))
                    .filter(h -> version.length == 0 || versionOf(h).equals(version[0])).collect(Collectors.toList());
            if (versions.isEmpty()) {
                throw new UsageError(version.length == 0
                        ? "no version of endpoint '" + endpoint + "' is loaded; see handler:list"
                        : "endpoint '" + endpoint + "' has no version '" + version[0] + "' loaded; see handler:list");
            }
            Table table = new Table(Screen.current(noFormat), "property", "value");
            for (LoadedHandler h : versions) {
                Latencies latencies = h.latencies();
                table.row("endpoint", h.endpointId())
                        .row("generation", h.generation())
                        .row("version", h.version().orElse(null))
                        .row("state", h.state())
                        .row("split", split(h))
                        .row("in-flight", h.activeRequests())
                        .row("overdue", overdue(h))
                        .row("isolation", h.isolation().label())
                        .row("calls", h.totalCalls())
                        .row("errors", h.failedCalls())
                        .row("latency", latencies.count() == 0 ? null : "p50 " + Units.nanos(latencies.percentileNanos(50))
                                + ", p99 " + Units.nanos(latencies.percentileNanos(99)) + " (of " + latencies.count()
                                + " calls timed, 1 in " + latencies.sampling() + ")")
                        .row("loaded", Units.time(h.loadedAt()))
                        .row("draining since", h.drainingSince().map(Units::time).orElse(null));
                h.workers().ifPresent(w -> table
                        .row("worker pids", w.pids().isEmpty() ? (w.failed() ? "none: failed" : "none: restarting")
                                : w.pids().stream().map(String::valueOf).collect(Collectors.joining(", ")))
                        .row("restarts", w.restarts() == 0 ? "0" : w.restarts() + " (crashes: " + w.crashes()
                                + ", hung calls killed: " + w.hangKills() + ")")
                        .row("last crash", w.lastCrash().map(c -> w.lastCrashAt().map(Units::time).orElse("") + ": " + c)
                                .orElse(null))
                        .row("failed", w.failed() ? "yes: its workers crashed too often and are no longer restarted;"
                                + " swap in a fixed version (handler:swap " + h.endpointId() + " <library>)" : null));
                table
                        .row("source", h.source())
                        .row("loaded copy", h.loadedCopy().map(Path::toString).orElse(null));
            }
            return table;
        });
    }

    @Descriptor("calls an endpoint and shows its answer: status, headers, body")
    public Object call(CommandSession session,
            @Descriptor("method (default GET, POST with a body)") @Parameter(names = {"-m", "--method"}, absentValue = "") String method,
            @Descriptor("path") @Parameter(names = {"-p", "--path"}, absentValue = "/") String path,
            @Descriptor("query string, without ?") @Parameter(names = {"-q", "--query"}, absentValue = "") String query,
            @Descriptor("headers as \"Name: value\", several separated by \";\"") @Parameter(names = {"-H", "--header"}, absentValue = "") String headers,
            @Descriptor("read the body from this file") @Parameter(names = {"-f", "--file"}, absentValue = "") String file,
            @Descriptor("timeout in ms, 0 for none") @Parameter(names = {"-t", "--timeout"}, absentValue = "0") String timeoutText,
            @Descriptor(ENDPOINT) String endpoint,
            @Descriptor("request body, UTF-8 (words are joined with single spaces; none: empty)") String... body) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("call");
            }
            long timeout = Options.wholeNumber("handler:call", "-t/--timeout", timeoutText, 0, Long.MAX_VALUE,
                    "milliseconds", " (0: no timeout)");
            HandlerRequest.Builder request = HandlerRequest.builder().path(path).query(query);
            if (!file.isEmpty()) {
                request.body(Options.file("handler:call", "-f/--file", file));
            } else if (body.length > 0) {
                request.body(String.join(" ", body));
            }
            boolean hasBody = !file.isEmpty() || body.length > 0;
            request.method(!method.isEmpty() ? method : hasBody ? "POST" : "GET");
            for (String header : headers.split(";")) {
                if (!header.isBlank()) {
                    int colon = header.indexOf(':');
                    if (colon <= 0) {
                        throw new UsageError("handler:call: -H/--header '" + header.strip() + "' is not 'Name: value'"
                                + " (several: separated by ';')");
                    }
                    request.header(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
                }
            }
            long start = System.nanoTime();
            ShellTerminal terminal = ShellTerminal.of(session);
            HandlerResponse response;
            try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC()) {
                if (timeout > 0) {
                    response = registry.executeWithTimeout(endpoint, RequestContext.create(), request.build(),
                            Duration.ofMillis(timeout));
                } else if (terminal.interactive()) { // waited for on this thread, so that Ctrl-C can stop waiting
                    response = registry.executeAsync(endpoint, RequestContext.create(), request.build()).get();
                } else {
                    response = registry.execute(endpoint, RequestContext.create(), request.build());
                }
            } catch (InterruptedException | HandlerException e) {
                if (e instanceof InterruptedException || Thread.interrupted()) {
                    Thread.interrupted();
                    return "stopped waiting (Ctrl-C): the call goes on inside endpoint '" + endpoint
                            + "', which stays loaded until it returns (see handler:list, in-flight)";
                }
                throw (HandlerException) e;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                        : new IllegalStateException(e.getCause());
            }
            return new CallResult(endpoint, response, System.nanoTime() - start);
        });
    }

    @Descriptor("loads the library of the endpoint from the handlers directory (libhandler_<id>.so)")
    public Object load(
            @Descriptor(ISOLATION) @Parameter(names = {"-i", "--isolation"}, absentValue = "") String isolation,
            @Descriptor(NEW_ENDPOINT) String endpoint) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("load");
            }
            return isolation.isEmpty() ? row(registry.load(endpoint)) : row(registry.loadFrom(endpoint,
                    registry.handlersDirectory().resolve(HandlerRegistry.libraryFileName(endpoint)),
                    Options.isolation("handler:load", isolation)));
        });
    }

    @Descriptor("loads a library file for an endpoint")
    public Object load(
            @Descriptor(ISOLATION) @Parameter(names = {"-i", "--isolation"}, absentValue = "") String isolation,
            @Descriptor(NEW_ENDPOINT) String endpoint, @Descriptor(LIBRARY) String library) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("load");
            }
            return isolation.isEmpty() ? row(registry.loadFrom(endpoint, Path.of(library)))
                    : row(registry.loadFrom(endpoint, Path.of(library), Options.isolation("handler:load", isolation)));
        });
    }

    @Descriptor("replaces the library of an endpoint: new calls go to the new one at once")
    public String swap(CommandSession session,
            @Descriptor("wait for the calls inside the old version, then unload it (Ctrl-C stops waiting)") @Parameter(names = {"-g", "--graceful"}, presentValue = "true", absentValue = "false") boolean graceful,
            @Descriptor("graceful: how long to wait, in ms") @Parameter(names = {"-t", "--timeout"}, absentValue = "30000") String timeoutText,
            @Descriptor(ISOLATION) @Parameter(names = {"-i", "--isolation"}, absentValue = "") String isolation,
            @Descriptor(ENDPOINT) String endpoint,
            @Descriptor(LIBRARY) String library) {
        return Background.shown(() -> {
            long timeout = Options.wholeNumber("handler:swap", "-t/--timeout", timeoutText, 0, Long.MAX_VALUE,
                    "milliseconds", " (how long a graceful swap waits for the calls inside the old version)");
            Isolation where = isolation.isEmpty() ? null : Options.isolation("handler:swap", isolation);
            if (!registry.isLoaded(endpoint)) {
                // checked here, not by the registry, whose swap of an endpoint not loaded loads it
                HandlerRegistry.checkEndpointId(endpoint);
                throw new UsageError("handler:swap: endpoint '" + endpoint + "' is not loaded, so there is nothing to"
                        + " replace (see handler:list); to serve it: handler:load " + endpoint + " " + library);
            }
            Path file = Path.of(library);
            if (!graceful) {
                return swapped(endpoint, file, where == null ? registry.swap(endpoint, file)
                        : registry.swap(endpoint, file, where), false);
            }
            Optional<LoadedHandler> old = registry.handler(endpoint);
            long start = System.nanoTime();
            ShellTerminal terminal = ShellTerminal.of(session);
            SwapResult result;
            try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC();
                    LiveLine line = LiveLine.start(terminal, () -> old.map(h -> "swap: old version of '" + endpoint
                            + "' drains, " + Units.calls(h.activeRequests()) + " inside, waited "
                            + Units.seconds((System.nanoTime() - start) / 1e9) + " of " + Units.seconds(timeout / 1e3)
                            + " (Ctrl-C stops waiting)")
                            .orElse("swap: loading " + file))) {
                result = where == null ? registry.swapGraceful(endpoint, file, Duration.ofMillis(timeout))
                        : registry.swapGraceful(endpoint, file, Duration.ofMillis(timeout), where);
            }
            return swapped(endpoint, file, result, Thread.interrupted());
        });
    }

    /** {@code handler:swap --help}, and a swap without its library file (not in the usage). */
    public String swap(String endpoint) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("swap");
            }
            throw new UsageError("which library should endpoint '" + endpoint + "' serve? handler:swap"
                    + " [--graceful] " + endpoint + " <library file> (see handler:swap --help)");
        });
    }

    private static String swapped(String endpoint, Path file, SwapResult result, boolean interrupted) {
        String old = !result.swapped() ? "it had no version before"
                : !result.draining() ? "the old version is unloaded"
                : (interrupted ? "stopped waiting (Ctrl-C); " : "") + "the old version drains on, "
                        + Units.calls(result.oldRequestsPending()) + " still inside; it is unloaded once drained"
                        + " (see handler:draining)";
        return "endpoint '" + endpoint + "' now serves " + file.toAbsolutePath() + "; " + old;
    }

    @Descriptor("stops an endpoint taking calls; its library is unloaded once the calls inside returned")
    public String unload(@Descriptor(ENDPOINT) String endpoint) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("unload");
            }
            if (!registry.unload(endpoint)) {
                HandlerRegistry.checkEndpointId(endpoint);
                throw new UsageError("handler:unload: endpoint '" + endpoint + "' is not loaded; see handler:list");
            }
            return "endpoint '" + endpoint + "' unloaded; calls still inside finish first (see handler:draining)"
                    + deployedFile(endpoint);
        });
    }

    /** For an endpoint a deploy folder's file served: that the file stays, and how to serve it again. */
    private String deployedFile(String endpoint) {
        List<DeployFolder> folders = deployFolders;
        if (folders == null) {
            return "";
        }
        String serving = "endpoint '" + endpoint + "'";
        for (DeployFolder folder : folders) {
            for (DeployFolder.Deployment d : folder.deployments()) {
                if (d.detail() != null && d.detail().contains(serving)
                        && (d.state() == DeployFolder.State.SERVING || d.state() == DeployFolder.State.STANDBY)) {
                    return "; " + folder.directory().resolve(d.file()) + " stays in its deploy folder and serves"
                            + " again only when it changes: move it out and back, or copy in a new version";
                }
            }
        }
        return "";
    }

    @Descriptor("lists the versions an endpoint served, newest first")
    public Object history(
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat,
            @Descriptor(ENDPOINT) String endpoint) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("history");
            }
            List<HistoryEntry> entries = registry.history(endpoint);
            if (entries.isEmpty()) {
                throw new UsageError("handler:history: endpoint '" + endpoint + "' has no history: it never served"
                        + " here; see handler:list");
            }
            Screen screen = Screen.current(noFormat);
            Table table = new Table(screen, "#", "version", "state", "source", "sha-256", "served from", "to",
                    "replaced because", "origin");
            for (HistoryEntry e : entries) {
                table.row(e.number(), e.version().isEmpty() ? null : e.version(), historyState(e), e.source(),
                        e.sha256() == null ? null : noFormat ? e.sha256() : e.sha256().substring(0, 12),
                        Units.time(e.servedFrom()), e.until().map(Units::time).orElse(null), e.replacedBecause(),
                        e.origin());
            }
            return table;
        });
    }

    /** serving, pinned (a rollback serving), kept (a rollback can go back to it), or gone. */
    private static String historyState(HistoryEntry e) {
        if (e.serving()) {
            return e.isRollback() ? "serving, pinned" : "serving";
        }
        return e.kept() ? "kept" : e.sha256() == null ? "not kept (Java)" : "not kept";
    }

    @Descriptor("goes back to a version the history keeps (default: the one before)")
    public String rollback(CommandSession session,
            @Descriptor("wait for the calls inside the replaced version, then unload it (Ctrl-C stops waiting)") @Parameter(names = {"-g", "--graceful"}, presentValue = "true", absentValue = "false") boolean graceful,
            @Descriptor("graceful: how long to wait, in ms") @Parameter(names = {"-t", "--timeout"}, absentValue = "30000") String timeoutText,
            @Descriptor(ENDPOINT) String endpoint,
            @Descriptor(KEPT_VERSION) String... version) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("rollback");
            }
            long timeout = Options.wholeNumber("handler:rollback", "-t/--timeout", timeoutText, 0, Long.MAX_VALUE,
                    "milliseconds", " (how long a graceful rollback waits for the calls inside the replaced version)");
            if (version.length > 1) {
                throw new UsageError("handler:rollback: give at most one version of endpoint '" + endpoint + "', not "
                        + version.length + ": its number or its version, as handler:history " + endpoint + " shows");
            }
            String wanted = version.length == 0 ? null : version[0];
            SwapResult result;
            if (!graceful) {
                result = registry.rollback(endpoint, wanted);
            } else {
                Optional<LoadedHandler> old = registry.handler(endpoint);
                long start = System.nanoTime();
                ShellTerminal terminal = ShellTerminal.of(session);
                try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC();
                        LiveLine line = LiveLine.start(terminal, () -> old.map(h -> "rollback: replaced version of '"
                                + endpoint + "' drains, " + Units.calls(h.activeRequests()) + " inside, waited "
                                + Units.seconds((System.nanoTime() - start) / 1e9) + " of "
                                + Units.seconds(timeout / 1e3) + " (Ctrl-C stops waiting)")
                                .orElse("rollback: loading the kept library"))) {
                    result = registry.rollback(endpoint, wanted, Duration.ofMillis(timeout));
                }
            }
            boolean interrupted = Thread.interrupted();
            HistoryEntry now = registry.history(endpoint).get(0);
            String old = !result.swapped() ? "it had no version before"
                    : !result.draining() ? "the replaced version is unloaded"
                    : (interrupted ? "stopped waiting (Ctrl-C); " : "") + "the replaced version drains on, "
                            + Units.calls(result.oldRequestsPending()) + " still inside; it is unloaded once drained"
                            + " (see handler:draining)";
            return "endpoint '" + endpoint + "' rolled back to #" + now.rollbackOf() + ", serving as " + now.label()
                    + "; " + old + ". It stays pinned to it until a new version is deployed, swapped in or loaded"
                    + " (handler:history " + endpoint + ")";
        });
    }

    /** The state, and for the versions of a canary split which one it is and its share: "ACTIVE, canary 20 %". */
    private static String state(LoadedHandler h) {
        String split = split(h);
        return split == null ? h.state().toString() : h.state() + ", " + split;
    }

    /** "canary 20 %", "primary 80 %", or null for a version that is not part of a split. */
    private static String split(LoadedHandler h) {
        double percent = h.trafficPercent();
        if (h.isCanary()) {
            return "canary " + CanarySplit.format(percent) + " %";
        }
        return h.isDraining() || percent >= 100 ? null : "primary " + CanarySplit.format(percent) + " %";
    }

    @Descriptor("tries a new version on a share of the calls of an endpoint (a canary split), or ends the split")
    public Object split(
            @Descriptor("make the canary the only version (a graceful swap: the other version drains)") @Parameter(names = {"-p", "--promote"}, presentValue = "true", absentValue = "false") boolean promote,
            @Descriptor("send every call back to the version that served before; the canary drains") @Parameter(names = {"-a", "--abort"}, presentValue = "true", absentValue = "false") boolean abort,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat,
            @Descriptor(ENDPOINT) String endpoint) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("split");
            }
            HandlerRegistry.checkEndpointId(endpoint);
            if (promote && abort) {
                throw new UsageError("handler:split: --promote or --abort, not both: promote makes the canary of '"
                        + endpoint + "' its only version, abort sends every call back to the version before");
            }
            if (promote) {
                CanarySplit split = registry.split(endpoint).orElse(null);
                SwapResult result = registry.promote(endpoint);
                return "endpoint '" + endpoint + "': the canary " + (split == null ? "" : split.canary().source() + " ")
                        + "is promoted and serves every call; the version before " + (!result.draining()
                                ? "is unloaded" : "drains, " + Units.calls(result.oldRequestsPending())
                                        + " still inside; it is unloaded once drained (see handler:draining)");
            }
            if (abort) {
                CanarySplit split = registry.split(endpoint).orElse(null);
                SwapResult result = registry.abort(endpoint);
                if (!result.swapped()) {
                    return "endpoint '" + endpoint + "': the canary split asked for before, whose canary was still"
                            + " loading, is aborted: it will not take effect, every call goes to the version serving";
                }
                return "endpoint '" + endpoint + "': the canary split is aborted, every call goes to "
                        + (split == null ? "the version before" : split.primary().source()) + " again; the canary "
                        + (!result.draining() ? "is unloaded" : "drains, " + Units.calls(result.oldRequestsPending())
                                + " still inside; it is unloaded once drained (see handler:draining)");
            }
            CanarySplit split = registry.split(endpoint).orElseThrow(() -> new UsageError("handler:split: endpoint '"
                    + endpoint + "' has no canary split" + (registry.isLoaded(endpoint) ? "" : " (it is not loaded)")
                    + "; start one with handler:split " + endpoint + " <library-or-kept-version> <percent>"));
            Table table = new Table(Screen.current(noFormat), "role", "version", "share", "in-flight", "calls",
                    "errors", "since", "source");
            table.row("primary", versionOf(split.primary()), CanarySplit.format(100 - split.percent()) + " %",
                    split.primary().activeRequests(), split.primary().totalCalls(), split.primary().failedCalls(),
                    Units.time(split.primary().loadedAt()), split.primary().source());
            table.row("canary", versionOf(split.canary()), CanarySplit.format(split.percent()) + " %",
                    split.canary().activeRequests(), split.canary().totalCalls(), split.canary().failedCalls(),
                    Units.time(split.since()), split.origin());
            return table;
        });
    }

    @Descriptor("starts a canary split of an endpoint, or changes its percent (the same canary again)")
    public Object split(
            @Descriptor("make the canary the only version (a graceful swap: the other version drains)") @Parameter(names = {"-p", "--promote"}, presentValue = "true", absentValue = "false") boolean promote,
            @Descriptor("send every call back to the version that served before; the canary drains") @Parameter(names = {"-a", "--abort"}, presentValue = "true", absentValue = "false") boolean abort,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat,
            @Descriptor(ENDPOINT) String endpoint,
            @Descriptor(CANARY) String canary,
            @Descriptor(PERCENT) String percentText) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("split");
            }
            HandlerRegistry.checkEndpointId(endpoint);
            if (promote || abort) {
                throw new UsageError("handler:split: " + (promote ? "--promote" : "--abort") + " takes the endpoint"
                        + " only: handler:split " + (promote ? "--promote " : "--abort ") + endpoint + " (a new canary"
                        + " and its percent start or change a split: handler:split " + endpoint + " " + canary + " "
                        + percentText + ")");
            }
            double percent = Options.percent("handler:split", percentText);
            boolean before = registry.split(endpoint).isPresent();
            CanarySplit split = isLibraryFile(canary) ? registry.split(endpoint, Path.of(canary), percent)
                    : registry.split(endpoint, canary, percent);
            return "endpoint '" + endpoint + "' is split: " + CanarySplit.format(split.percent()) + " % of its new"
                    + " calls go to the canary " + split.canary().source() + " (" + versionOf(split.canary()) + "), "
                    + CanarySplit.format(100 - split.percent()) + " % to " + split.primary().source() + " ("
                    + versionOf(split.primary()) + ")" + (before ? " (the split before is replaced)" : "") + ". Compare them with handler:split "
                    + endpoint + ", handler:top " + endpoint + " or the metrics; handler:split --promote " + endpoint
                    + " makes the canary the only version, handler:split --abort " + endpoint + " sends every call back";
        });
    }

    /** A canary named by a library file rather than by a kept version: an existing file, or a path. */
    static boolean isLibraryFile(String canary) {
        return Files.exists(Path.of(canary)) || canary.contains("/") || canary.contains("\\")
                || canary.endsWith(".so") || canary.endsWith(".dll") || canary.endsWith(".dylib");
    }

    @Descriptor("lists the versions that were replaced or unloaded and still have calls inside")
    public Object draining(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat) {
        return Background.shown(() -> {
            if (help) {
                return usage("draining");
            }
            Table table = new Table(Screen.current(noFormat), "endpoint", "version", "draining since", "calls left", "source");
            for (LoadedHandler h : registry.handlers()) {
                if (h.isDraining()) {
                    table.row(h.endpointId(), versionOf(h), h.drainingSince().map(Units::ago).orElse(null),
                            h.activeRequests(), h.source());
                }
            }
            return table;
        });
    }

    @Descriptor("unloads the draining versions that have no call left inside")
    public String cleanup(CommandSession session,
            @Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor("wait up to this many seconds for the calls still inside, unloading each version as it drains (Ctrl-C stops waiting)") @Parameter(names = {"-w", "--wait"}, absentValue = "0") String waitText) {
        return Background.shown(() -> {
            if (help) {
                return usage("cleanup");
            }
            double wait = Options.seconds("handler:cleanup", "-w/--wait", waitText, 0, false, " (0: no wait)");
            int unloaded = registry.cleanupDrained();
            long start = System.nanoTime();
            long deadline = start + (long) (wait * 1e9);
            boolean interrupted = false;
            if (wait > 0 && registry.stats().drainingCount() > 0) {
                ShellTerminal terminal = ShellTerminal.of(session);
                try (ShellTerminal.Restore ctrlC = terminal.interruptOnCtrlC();
                        LiveLine line = LiveLine.start(terminal, () -> "cleanup: " + draining(registry.stats())
                                + ", waited " + Units.seconds((System.nanoTime() - start) / 1e9) + " of "
                                + Units.seconds(wait) + " (Ctrl-C stops waiting)")) {
                    while (registry.stats().drainingCount() > 0 && System.nanoTime() < deadline) {
                        Thread.sleep(CLEANUP_POLL_MS);
                        unloaded += registry.cleanupDrained();
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                interrupted |= Thread.interrupted();
            }
            RegistryStats left = registry.stats();
            return "unloaded " + unloaded + " drained version" + (unloaded == 1 ? "" : "s")
                    + (left.drainingCount() == 0 ? "" : (interrupted ? "; stopped waiting (Ctrl-C)" : "") + "; "
                            + draining(left) + " (see handler:draining; a call that never returns keeps its version"
                            + " loaded: find its endpoint there)");
        });
    }

    /** The overdue calls of a version, with what to do about them. */
    private static String overdue(LoadedHandler h) {
        long overdue = h.overdueCalls();
        if (overdue == 0) {
            return "0";
        }
        boolean one = overdue == 1;
        return overdue + (one ? " call inside past its deadline: stuck, or slower than its caller waits"
                : " calls inside past their deadline: stuck, or slower than their callers wait")
                + (h.isDraining() ? "; this version stays loaded until " + (one ? "it returns" : "they return")
                        : (one ? "; it holds a place of this version's call limit until it returns"
                                : "; they hold places of this version's call limit until they return")
                                + " (swap in a fixed version: new calls go there at once)");
    }

    private static String draining(RegistryStats s) {
        return s.drainingCount() + " version" + (s.drainingCount() == 1 ? "" : "s") + " still draining with "
                + s.drainingRequests() + " call" + (s.drainingRequests() == 1 ? "" : "s") + " inside";
    }

    @Descriptor("counts of loaded and draining versions, of the calls inside them and of those past their"
            + " deadline (overdue), of unloaded versions the platform loader keeps mapped (pinned), and of"
            + " process-isolated versions whose workers crashed too often (failed)")
    public Object stats(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat) {
        return Background.shown(() -> {
            if (help) {
                return usage("stats");
            }
            RegistryStats s = registry.stats();
            return new Table(Screen.current(noFormat), "loaded", "draining", "active requests", "draining requests", "overdue", "pinned", "failed")
                    .row(s.loadedCount(), s.drainingCount(), s.activeRequests(), s.drainingRequests(),
                            s.overdueRequests(), s.pinnedCount(), s.failedCount());
        });
    }

    @Descriptor("calls an endpoint from several threads and reports calls, failures, latencies and answers"
            + " (Ctrl-C stops it and reports what it measured)")
    public Object bench(CommandSession session,
            @Descriptor("threads") @Parameter(names = {"-t", "--threads"}, absentValue = "2") String threadsText,
            @Descriptor("seconds to run (unless --calls)") @Parameter(names = {"-d", "--duration"}, absentValue = "5") String secondsText,
            @Descriptor("number of calls in all (0: run for --duration)") @Parameter(names = {"-n", "--calls"}, absentValue = "0") String callsText,
            @Descriptor("request body") @Parameter(names = {"-b", "--body"}, absentValue = "bench") String body,
            @Descriptor(ENDPOINT) String endpoint) {
        return Background.shown(() -> {
            if (Usage.asked(endpoint)) {
                return usage("bench");
            }
            int threads = (int) Options.wholeNumber("handler:bench", "-t/--threads", threadsText, 1, Bench.MAX_THREADS,
                    "threads", "");
            double seconds = Options.seconds("handler:bench", "-d/--duration", secondsText, 0, true, "");
            long calls = Options.wholeNumber("handler:bench", "-n/--calls", callsText, 0, Long.MAX_VALUE, "calls",
                    " (0: run for --duration)");
            if (!registry.isLoaded(endpoint)) {
                HandlerRegistry.checkEndpointId(endpoint);
                throw new UsageError("handler:bench: endpoint '" + endpoint + "' is not loaded; see handler:list");
            }
            return Bench.run(registry, endpoint, HandlerRequest.of(body), threads, (long) (seconds * 1e9), calls,
                    ShellTerminal.of(session));
        });
    }

    @Descriptor("live view, per endpoint and version: calls/s, errors/s, in-flight, p50/p99 latency,"
            + " state; refreshed until Ctrl-C")
    public String top(CommandSession session,
            @Descriptor("seconds between refreshes") @Parameter(names = {"-i", "--interval"}, absentValue = "1") String intervalText,
            @Descriptor("stop after this many refreshes (0: at Ctrl-C)") @Parameter(names = {"-n", "--count"}, absentValue = "0") String countText,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat,
            @Descriptor(ENDPOINT) String... endpoints) {
        return Background.shown(() -> {
            if (Usage.asked(endpoints)) {
                return usage("top");
            }
            double interval = Options.seconds("handler:top", "-i/--interval", intervalText, 0.1, false, "");
            long count = Options.wholeNumber("handler:top", "-n/--count", countText, 0, Long.MAX_VALUE, "refreshes",
                    " (0: until Ctrl-C)");
            for (String endpoint : endpoints) {
                HandlerRegistry.checkEndpointId(endpoint);
                if (!registry.isLoaded(endpoint)) {
                    throw new UsageError("handler:top: endpoint '" + endpoint + "' is not loaded; see handler:list");
                }
            }
            Top.run(registry, new LinkedHashSet<>(List.of(endpoints)), Math.round(interval * 1000), count, noFormat,
                    ShellTerminal.of(session), System.out);
            return null;
        });
    }

    @Descriptor("lists the files of the deploy folders and what became of each: serving, standing by, draining,"
            + " pending, failed (and why) or ignored")
    public Object deployments(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat) {
        return Background.shown(() -> {
            if (help) {
                return usage("deployments");
            }
            List<DeployFolder> folders = deployFolders;
            if (folders == null || folders.isEmpty()) {
                throw new IllegalStateException("this container has no deploy folder: set 'directory' in the"
                        + " configuration io.handlerregistry.deploy (e.g. conf/io.handlerregistry.deploy.cfg)");
            }
            boolean several = folders.size() > 1;
            Table table = new Table(Screen.current(noFormat), "file", "state", "bundle", "detail");
            for (DeployFolder folder : folders) {
                for (DeployFolder.Deployment d : folder.deployments()) {
                    String file = several ? folder.directory().getFileName() + "/" + d.file() : d.file();
                    table.row(file, d.state(), d.bundleId() < 0 ? null : d.bundleId(), d.detail());
                }
            }
            return table;
        });
    }

    @Descriptor("shows the HTTP front: where it listens, its routes, connections, requests (and per second, over the"
            + " interval) and answers by status")
    public Object http(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor("seconds to count requests per second over; 0: totals only, at once") @Parameter(names = {"-i", "--interval"}, absentValue = "1") String intervalText,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat) {
        return Background.shown(() -> {
            if (help) {
                return usage("http");
            }
            double interval = Options.seconds("handler:http", "-i/--interval", intervalText, 0, false, "");
            ServiceReference<?> reference = httpFront();
            Object front = context.getService(reference);
            if (front == null) {
                throw new IllegalStateException("the HTTP front is stopping");
            }
            try {
                Object earlier = null;
                if (interval > 0) {
                    earlier = HttpView.sample(front);
                    try {
                        Thread.sleep(Math.round(interval * 1000)); // the interval the rates are counted over
                    } catch (InterruptedException stopped) { // Ctrl-C: the totals, without rates
                        earlier = null;
                    }
                }
                return HttpView.table(front, earlier, Screen.current(noFormat));
            } finally {
                context.ungetService(reference);
            }
        });
    }

    @Descriptor("shows whether the container is live and ready, as /livez and /readyz of the admin front answer,"
            + " and each check with what it found")
    public Object health(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat) {
        return Background.shown(() -> {
            if (help) {
                return usage("health");
            }
            return withAdminFront(front -> AdminView.health(front, Screen.current(noFormat)));
        });
    }

    @Descriptor("shows the numbers /metrics of the admin front serves: per endpoint and version, calls by outcome, in"
            + " flight, latencies, swaps, drains, workers, deploy-folder files, HTTP answers; words keep the metrics"
            + " whose name contains one")
    public Object metrics(@Descriptor(HELP) @Parameter(names = {"-h", "--help"}, presentValue = "true", absentValue = "false") boolean help,
            @Descriptor("the metrics of the JVM too (memory, GC, threads)") @Parameter(names = {"-j", "--jvm"}, presentValue = "true", absentValue = "false") boolean jvm,
            @Descriptor("histograms bucket by bucket, not as count and percentiles") @Parameter(names = {"-b", "--buckets"}, presentValue = "true", absentValue = "false") boolean buckets,
            @Descriptor(NO_FORMAT) @Parameter(names = {"--no-format"}, presentValue = "true", absentValue = "false") boolean noFormat,
            @Descriptor(METRIC) String... words) {
        return Background.shown(() -> {
            if (help) {
                return usage("metrics");
            }
            return withAdminFront(front -> AdminView.metrics(front, List.of(words), jvm, buckets,
                    Screen.current(noFormat)));
        });
    }

    /** Runs {@code view} with the admin front's service, checked to be one this bundle can use. */
    private Object withAdminFront(java.util.function.Function<Object, Object> view) {
        String type = "io.handlerregistry.admin.api.AdminFront";
        ServiceReference<?> reference = context == null ? null : context.getServiceReference(type);
        if (reference == null) {
            throw new IllegalStateException("no admin front runs here: it is the bundle io.handlerregistry.admin (in"
                    + " Karaf: feature:install handler-registry-admin); if it runs, see the log for why it stopped");
        }
        if (!reference.isAssignableTo(context.getBundle(), type)) {
            throw new IllegalStateException("the admin front runs, but this shell bundle was resolved without its API:"
                    + " refresh it (Karaf: bundle:refresh io.handlerregistry.shell; Felix: refresh)");
        }
        Object front = context.getService(reference);
        if (front == null) {
            throw new IllegalStateException("the admin front is stopping");
        }
        try {
            return view.apply(front);
        } finally {
            context.ungetService(reference);
        }
    }

    /** The HTTP front's service, checked to be one this bundle can use. */
    private ServiceReference<?> httpFront() {
        String type = "io.handlerregistry.http.api.HttpFront";
        ServiceReference<?> reference = context == null ? null : context.getServiceReference(type);
        if (reference == null) {
            throw new IllegalStateException("no HTTP front runs here: it is the bundle io.handlerregistry.http (in"
                    + " Karaf: feature:install handler-registry-http); if it runs, see the log for why it stopped");
        }
        if (!reference.isAssignableTo(context.getBundle(), type)) {
            throw new IllegalStateException("the HTTP front runs, but this shell bundle was resolved without its API:"
                    + " refresh it (Karaf: bundle:refresh io.handlerregistry.shell; Felix: refresh)");
        }
        return reference;
    }

    @Descriptor("lists the handler commands, or shows the usage of one (other names: the help of the shell)")
    public Object help(CommandSession session, @Descriptor(COMMAND) String... words) throws Exception {
        if (words.length == 0 || words[0].equals(SCOPE) || Usage.asked(words)) {
            return summary();
        }
        String name = words[0].startsWith(SCOPE + ":") ? words[0].substring(SCOPE.length() + 1) : words[0];
        if (COMMANDS.contains(name)) {
            return usage(name);
        }
        if (LogCommand.COMMANDS.contains(name)) {
            return Usage.of(LogCommand.class, SCOPE, name, Screen.current().helpWidth());
        }
        Object gogoHelp = session == null ? null : session.get("gogo:help");
        Object other = session == null || words[0].startsWith(SCOPE + ":") ? null
                : session.get(words[0].contains(":") ? words[0] : "*:" + words[0]);
        if (gogoHelp instanceof Function && other instanceof Function) {
            return ((Function) gogoHelp).execute(session, new ArrayList<>(List.of(words)));
        }
        throw new UsageError("no command '" + words[0] + "': 'help' lists every command, 'help handler'"
                + " the handler commands");
    }

    /**
     * The command list, under the scope's own name: Gogo's {@code help handler} (Felix's, Equinox's)
     * looks for a command named "handler" and shows this description.
     */
    @Descriptor("the commands of scope handler: list, info, call, load, swap, unload, history, rollback, split, draining,"
            + " cleanup, stats, bench, top, deployments, http, health, metrics; 'handler' lists them with what they do,"
            + " 'help handler:<command>' or"
            + " '<command> --help' shows the usage of one")
    public Object handler() {
        return summary();
    }

    /**
     * Gogo calls this when no method of a command takes the words typed (its "Cannot coerce ..." otherwise):
     * they are bound as Karaf's shell binds them, so that a command without its arguments gets its usage.
     * Gogo weighs it after every method that fits (its cost grows with each word, the name included).
     */
    public Object _main(CommandSession session, Object... argv) throws Exception {
        if (argv.length == 0 || !COMMANDS.contains(String.valueOf(argv[0]))) {
            throw new UsageError("no such handler command" + (argv.length == 0 ? "" : " '" + argv[0] + "'")
                    + ": see handler:help");
        }
        List<String> words = new ArrayList<>();
        for (int i = 1; i < argv.length; i++) {
            words.add(String.valueOf(argv[i]));
        }
        return Invocation.invoke(this, SCOPE, String.valueOf(argv[0]), session, words);
    }

    /** For the shell profile's completion: the candidates for the word at {@code index} (null: a file). */
    public List<String> _complete(List<String> words, int index) {
        return completion.candidates(words, index);
    }

    /** The public methods of a command, fewest parameters first; empty for a name that is none. */
    static List<Method> methods(String command) {
        return COMMANDS.contains(command) ? Usage.methods(HandlerCommands.class, command) : List.of();
    }

    /**
     * How a version is named in tables and completion: its version (a handler bundle's), else
     * "gen" and its generation (a library loaded by the registry: gen1, gen2...). Not "#1": Gogo
     * reads a word that starts with # as a comment.
     */
    static String versionOf(LoadedHandler h) {
        return h.version().orElse("gen" + h.generation());
    }

    static String summary() {
        return "Commands of scope handler: 'help <command>' or '<command> --help' shows the usage of one;\n"
                + "Tab completes their names, options, endpoint ids and files.\n"
                + Usage.summary(HandlerCommands.class, SCOPE, COMMANDS, Screen.current().helpWidth())
                + Usage.summary(LogCommand.class, SCOPE, LogCommand.COMMANDS, Screen.current().helpWidth());
    }

    private static String usage(String command) {
        return Usage.of(HandlerCommands.class, SCOPE, command, Screen.current().helpWidth());
    }

    private static Table row(LoadedHandler h) {
        return new Table(Screen.current(), "endpoint", "state", "isolation", "source", "loaded copy")
                .row(h.endpointId(), h.state(), isolation(h), h.source(),
                        h.loadedCopy().map(Path::toString).orElse(null));
    }

    /** "in-process", or "process" with the worker pids and restarts. */
    private static String isolation(LoadedHandler h) {
        return h.workers().map(w -> "process " + (w.pids().isEmpty() ? (w.failed() ? "(failed)" : "(restarting)")
                : "(pid " + w.pids().stream().map(String::valueOf).collect(Collectors.joining(",")) + ")")
                + (w.restarts() == 0 ? "" : ", " + w.restarts() + (w.restarts() == 1 ? " restart" : " restarts")))
                .orElse(h.isolation().label());
    }
}
