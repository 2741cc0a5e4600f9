package io.handlerregistry.admin.server;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.handlerregistry.api.CallOutcomes;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerState;
import io.handlerregistry.api.Latencies;
import io.handlerregistry.api.LoadedHandler;
import io.handlerregistry.api.RegistryActivity;
import io.handlerregistry.api.RegistryStats;
import io.handlerregistry.api.WorkerStatus;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * The registry's numbers as Prometheus metrics, read at each scrape from what the registry and the HTTP
 * front count anyway (no metric object is updated on the request path). Per endpoint and version, only
 * the versions the registry holds now appear (active, draining, pinned): label sets stay bounded by what
 * is loaded, and a version that is gone ends its series.
 */
public final class RegistryMetrics implements MultiCollector {
    /** Upper bounds of the latency buckets, in seconds: 1 µs to 10 s. */
    static final double[] LATENCY_BOUNDS = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
        2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /** Upper bounds of the drain-duration buckets, in seconds: 1 ms to 10 min. */
    static final double[] DRAIN_BOUNDS = {0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

    private final Sources sources;

    public RegistryMetrics(Sources sources) {
        this.sources = sources;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> all = new ArrayList<>();
        HandlerRegistry registry = sources.registry();
        all.add(gauge("handler_registry_up", "1 while the handler registry is active", Labels.EMPTY,
                registry == null ? 0 : 1));
        List<LoadedHandler> versions = registry == null ? List.of() : registry.handlers();
        if (registry != null) {
            registryMetrics(registry, versions, all);
        }
        deployFolderMetrics(all);
        HttpNumbers http = sources.http();
        if (http != null) {
            httpMetrics(http, versions, all);
        }
        return new MetricSnapshots(all);
    }

    private static void registryMetrics(HandlerRegistry registry, List<LoadedHandler> versions, List<MetricSnapshot> all) {
        CounterSnapshot.Builder requests = CounterSnapshot.builder().name("handler_requests")
                .help("Calls of each loaded version by how they ended: ok, handler_error, crashed (its worker"
                        + " process ended), overloaded (refused without starting); timeout counts callers that"
                        + " stopped waiting (a call that had started is also counted by how it ended)");
        GaugeSnapshot.Builder inFlight = GaugeSnapshot.builder().name("handler_in_flight")
                .help("Calls inside each loaded version now (for a draining version: the calls its drain waits for)");
        GaugeSnapshot.Builder overdue = GaugeSnapshot.builder().name("handler_overdue_calls")
                .help("Calls inside each loaded version whose deadline has passed");
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name("handler_call_duration_seconds")
                .unit(Unit.SECONDS).help("Duration of the calls of each loaded version, of those timed (one call"
                        + " in 16 by default: io.handlerregistry.latency.sampling); HTTP requests: see"
                        + " handler_http_request_duration_seconds");
        InfoSnapshot.Builder info = InfoSnapshot.builder().name("handler_version")
                .help("Each version the registry holds: its state, where it runs, where it came from");
        CounterSnapshot.Builder restarts = CounterSnapshot.builder().name("handler_worker_restarts")
                .help("Worker processes of each version in process isolation started again after a crash or a"
                        + " hung call");
        CounterSnapshot.Builder crashes = CounterSnapshot.builder().name("handler_worker_crashes")
                .help("Worker processes of each version in process isolation that crashed (they count toward"
                        + " FAILED)");
        CounterSnapshot.Builder hangKills = CounterSnapshot.builder().name("handler_worker_hang_kills")
                .help("Worker processes the registry killed because a call hung past its deadline");
        GaugeSnapshot.Builder share = GaugeSnapshot.builder().name("handler_traffic_share")
                .help("The share of its endpoint's new calls each version gets (0 to 1): 1 for the only active version,"
                        + " the split's for the primary and the canary of a canary split, 0 for a draining one");
        GaugeSnapshot.Builder workers = GaugeSnapshot.builder().name("handler_workers")
                .help("Worker processes running for each version in process isolation");
        Map<HandlerState, Integer> byState = new EnumMap<>(HandlerState.class);
        for (HandlerState s : HandlerState.values()) {
            byState.put(s, 0);
        }
        long drainingCalls = 0;
        Map<Long, String> versionLabels = versionLabels(versions);
        for (LoadedHandler h : versions) {
            HandlerState state = h.state();
            byState.merge(state, 1, Integer::sum);
            String version = versionLabels.get(h.generation());
            Labels labels = Labels.of("endpoint", h.endpointId(), "version", version);
            CallOutcomes o = h.outcomes();
            requests.dataPoint(counter(labels.add("outcome", "ok"), o.ok()))
                    .dataPoint(counter(labels.add("outcome", "handler_error"), o.handlerErrors()))
                    .dataPoint(counter(labels.add("outcome", "crashed"), o.crashed()))
                    .dataPoint(counter(labels.add("outcome", "timeout"), o.timedOut()))
                    .dataPoint(counter(labels.add("outcome", "overloaded"), o.overloaded()));
            long inside = h.activeRequests();
            if (state == HandlerState.DRAINING) {
                drainingCalls += inside;
            }
            inFlight.dataPoint(gaugePoint(labels, inside));
            share.dataPoint(gaugePoint(labels.add("role", h.isCanary() ? "canary" : h.isDraining() ? "draining"
                    : h.trafficPercent() < 100 ? "primary" : "only"), h.trafficPercent() / 100));
            overdue.dataPoint(gaugePoint(labels, inside == 0 ? 0 : h.overdueCalls()));
            Latencies l = h.latencies();
            if (l.sampling() > 0) {
                latency.dataPoint(histogram(labels, l, LATENCY_BOUNDS));
            }
            info.dataPoint(InfoDataPointSnapshot.builder().labels(labels.add("state", state.name().toLowerCase(
                    java.util.Locale.ROOT)).add("isolation", h.isolation().label()).add("source", stableSource(h.source()))).build());
            if (h.workers().isPresent()) {
                WorkerStatus w = h.workers().get();
                restarts.dataPoint(counter(labels, w.restarts()));
                crashes.dataPoint(counter(labels, w.crashes()));
                hangKills.dataPoint(counter(labels, w.hangKills()));
                workers.dataPoint(gaugePoint(labels, w.pids().size()));
            }
        }
        all.add(requests.build());
        all.add(inFlight.build());
        all.add(share.build());
        all.add(overdue.build());
        all.add(latency.build());
        all.add(info.build());
        all.add(restarts.build());
        all.add(crashes.build());
        all.add(hangKills.build());
        all.add(workers.build());

        GaugeSnapshot.Builder states = GaugeSnapshot.builder().name("handler_versions")
                .help("Versions the registry holds, by state (active ones serve; draining ones wait for their calls;"
                        + " pinned ones are unloaded but kept mapped by the platform loader; failed ones crashed too"
                        + " often to be restarted)");
        byState.forEach((state, n) -> {
            if (state != HandlerState.DRAINED) {
                states.dataPoint(gaugePoint(Labels.of("state", state.name().toLowerCase(java.util.Locale.ROOT)), n));
            }
        });
        all.add(states.build());
        all.add(gauge("handler_draining_calls", "Calls still inside draining versions: what their drains wait for",
                Labels.EMPTY, drainingCalls));
        RegistryStats stats = registry.stats();
        all.add(gauge("handler_pinned_libraries", "Unloaded versions whose library the platform loader keeps mapped"
                + " (a thread-local with a destructor holds it while a thread that called it lives)", Labels.EMPTY,
                stats.pinnedCount()));
        all.add(gauge("handler_endpoints", "Endpoints with an active version", Labels.EMPTY, stats.loadedCount()));

        RegistryActivity activity = registry.activity();
        all.add(gauge("handler_generation", "Changes with every change of an endpoint's active version (load, swap,"
                + " rollback, unload): equal on two instances that saw the same changes", Labels.EMPTY,
                activity.generation()));
        all.add(CounterSnapshot.builder().name("handler_requests_not_found")
                .help("Calls for an endpoint that had no version").dataPoint(counter(Labels.EMPTY, activity.notFound()))
                .build());
        CounterSnapshot.Builder swaps = CounterSnapshot.builder().name("handler_swaps")
                .help("Loads, swaps (immediate, graceful), rollbacks and unloads by result: ok, refused (the library"
                        + " was refused, also a handler bundle's, nothing to roll back to, or nothing to unload), superseded (a later one took"
                        + " effect first); a swap that found no version is a load");
        new TreeMap<>(toStrings(activity.swaps())).forEach((k, n) -> swaps.dataPoint(counter(
                Labels.of("kind", k.substring(0, k.indexOf(' ')), "result", k.substring(k.indexOf(' ') + 1)), n)));
        all.add(swaps.build());
        CounterSnapshot.Builder rollbacks = CounterSnapshot.builder().name("handler_rollbacks")
                .help("Rollbacks that took effect by reason: manual (asked for through the API or the shell), guard"
                        + " (the registry's guard rolled back a failing version, or aborted a failing canary, by itself)");
        Map<String, Long> byReason = new TreeMap<>(Map.of("manual", 0L, "guard", 0L));
        byReason.putAll(activity.rollbacks());
        byReason.forEach((reason, n) -> rollbacks.dataPoint(counter(Labels.of("reason", reason), n)));
        all.add(rollbacks.build());
        all.add(HistogramSnapshot.builder().name("handler_drain_duration_seconds").unit(Unit.SECONDS)
                .help("How long replaced or unloaded versions took to drain: from taking no new call to the return of"
                        + " their last call")
                .dataPoint(histogram(Labels.EMPTY, activity.drainDurations(), DRAIN_BOUNDS)).build());
    }

    private static Map<String, Long> toStrings(Map<RegistryActivity.SwapKind, Long> swaps) {
        Map<String, Long> out = new TreeMap<>();
        swaps.forEach((k, n) -> out.put(k.kind() + " " + k.result(), n));
        return out;
    }

    private void deployFolderMetrics(List<MetricSnapshot> all) {
        List<DeployFolder> folders = sources.deployFolders();
        if (folders.isEmpty()) {
            return;
        }
        Map<DeployFolder.State, Integer> counts = new EnumMap<>(DeployFolder.State.class);
        for (DeployFolder.State s : DeployFolder.State.values()) {
            if (!isDeprecated(s)) {
                counts.put(s, 0);
            }
        }
        for (DeployFolder folder : folders) {
            for (DeployFolder.Deployment d : folder.deployments()) {
                counts.merge(d.state(), 1, Integer::sum);
            }
        }
        GaugeSnapshot.Builder files = GaugeSnapshot.builder().name("handler_deploy_files")
                .help("Files of the deploy folders by state: pending (changing, acted on once stable), serving,"
                        + " standby, draining, deployed (not a handler bundle), failed, ignored");
        counts.forEach((state, n) -> files.dataPoint(gaugePoint(
                Labels.of("state", state.name().toLowerCase(java.util.Locale.ROOT)), n)));
        all.add(files.build());
    }

    @SuppressWarnings("deprecation")
    private static boolean isDeprecated(DeployFolder.State s) {
        return s == DeployFolder.State.REPLACED;
    }

    private static void httpMetrics(HttpNumbers http, List<LoadedHandler> versions, List<MetricSnapshot> all) {
        all.add(gauge("handler_http_connections", "Connections open at the HTTP front", Labels.EMPTY,
                http.connections()));
        all.add(gauge("handler_http_in_flight", "Requests being answered by the HTTP front", Labels.EMPTY,
                http.inFlight()));
        CounterSnapshot.Builder responses = CounterSnapshot.builder().name("handler_http_responses")
                .help("Answers of the HTTP front by status code, routed or not");
        http.statuses().forEach((code, n) -> responses.dataPoint(counter(Labels.of("code", String.valueOf(code)), n)));
        all.add(responses.build());
        // per endpoint and version: only the versions the registry holds (and, as version "", the answers
        // of an endpoint it holds that no version took), so that label sets stay bounded
        Map<Long, String> versionLabels = versionLabels(versions);
        Set<String> live = new HashSet<>();
        versions.forEach(h -> live.add(h.endpointId()));
        CounterSnapshot.Builder requests = CounterSnapshot.builder().name("handler_http_requests")
                .help("Answers of the HTTP front (its own port) per endpoint, version that took the request"
                        + " (\"\": none did) and status code");
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name("handler_http_request_duration_seconds")
                .unit(Unit.SECONDS).help("Time from the arrival of each request at the HTTP front to its answer, per"
                        + " endpoint and version that took the request (\"\": none did), every request");
        http.versionAnswers().forEach((endpoint, byVersion) -> {
            if (!live.contains(endpoint)) {
                return;
            }
            byVersion.forEach((generation, answers) -> {
                String version = generation == 0 ? "" : versionLabels.get(generation);
                if (version == null) {
                    return; // unloaded since
                }
                Labels labels = Labels.of("endpoint", endpoint, "version", version);
                answers.statuses().forEach((code, n) -> requests.dataPoint(
                        counter(labels.add("code", String.valueOf(code)), n)));
                latency.dataPoint(histogram(labels, answers.latencies(), LATENCY_BOUNDS));
            });
        });
        all.add(requests.build());
        all.add(latency.build());
    }

    /**
     * The {@code version} label of each version (by generation): the version its provider gave it, else
     * "gen" and its generation; the same version loaded twice is told apart by its generation.
     */
    static Map<Long, String> versionLabels(List<LoadedHandler> versions) {
        Map<Long, String> labels = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (LoadedHandler h : versions) {
            String version = h.version().orElse("gen" + h.generation());
            if (!seen.add(h.endpointId() + "\u0000" + version)) {
                version = version + "-gen" + h.generation();
            }
            labels.put(h.generation(), version);
        }
        return labels;
    }

    /**
     * A classic histogram from the registry's fine buckets (a quarter of a power of two wide): each of
     * those counts in the first bound at or above its own upper bound. No sum: the registry keeps none.
     */
    static HistogramDataPointSnapshot histogram(Labels labels, Latencies latencies, double[] boundsSeconds) {
        double[] bounds = new double[boundsSeconds.length + 1];
        System.arraycopy(boundsSeconds, 0, bounds, 0, boundsSeconds.length);
        bounds[boundsSeconds.length] = Double.POSITIVE_INFINITY;
        long[] counts = new long[bounds.length];
        long[] fine = latencies.counts();
        int j = 0;
        for (int i = 0; i < fine.length; i++) {
            double upper = Latencies.upperBound(i) / 1e9;
            while (j < boundsSeconds.length && upper > boundsSeconds[j]) {
                j++;
            }
            counts[j] += fine[i];
        }
        return HistogramDataPointSnapshot.builder().labels(labels)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts)).build();
    }

    private static CounterDataPointSnapshot counter(Labels labels, double value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static GaugeDataPointSnapshot gaugePoint(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static GaugeSnapshot gauge(String name, String help, Labels labels, double value) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(gaugePoint(labels, value)).build();
    }

    /**
     * A version's source without the bundle and service ids in it ("bundle io.example.greeting 1.0.0 [53]
     * (service 148)"): they change with every restart of the framework, and a label that changes makes a new
     * series each time.
     */
    static String stableSource(String source) {
        return source.replaceAll(" \\[\\d+\\]", "").replaceAll(" \\(service \\d+\\)", "");
    }
}
