package io.handlerregistry.admin.server;

import java.util.List;
import java.util.Optional;

import io.handlerregistry.admin.api.AdminFront.Check;
import io.handlerregistry.admin.api.AdminFront.Health;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.CanarySplit;
import io.handlerregistry.api.LoadedHandler;

/**
 * {@code /status}: the registry's endpoints, every version it holds (state, isolation, source, calls
 * inside), the deploy folders' files, the HTTP front's listeners, the health checks, and the generation,
 * which changes with every change of an active version: rollout tooling compares it across instances.
 */
final class StatusJson {
    private final StringBuilder out = new StringBuilder(4096);

    private StatusJson() {
    }

    static String of(Sources sources, Health health) {
        return new StatusJson().write(sources, health);
    }

    private String write(Sources sources, Health health) {
        HandlerRegistry registry = sources.registry();
        out.append('{');
        field("live").append(health.live()).append(',');
        field("ready").append(health.ready()).append(',');
        if (registry != null) {
            field("generation").append(registry.activity().generation()).append(',');
            field("endpoints").append('[');
            String sep = "";
            for (String endpoint : registry.endpoints()) {
                out.append(sep);
                string(endpoint);
                sep = ",";
            }
            out.append("],");
            field("versions").append('[');
            sep = "";
            for (LoadedHandler h : registry.handlers()) {
                out.append(sep).append('{');
                field("endpoint");
                string(h.endpointId()).append(',');
                field("version");
                string(h.version().orElse("gen" + h.generation())).append(',');
                field("generation").append(h.generation()).append(',');
                field("state");
                string(h.state().name()).append(',');
                field("isolation");
                string(h.isolation().label()).append(',');
                field("source");
                string(h.source()).append(',');
                field("loadedAt");
                string(h.loadedAt().toString()).append(',');
                field("inFlight").append(h.activeRequests()).append(',');
                field("calls").append(h.totalCalls()).append(',');
                field("failedCalls").append(h.failedCalls()).append(',');
                field("canary").append(h.isCanary()).append(',');
                field("trafficPercent").append(h.trafficPercent());
                if (h.workers().isPresent()) {
                    out.append(',');
                    field("workerPids").append(h.workers().get().pids()).append(',');
                    field("workerRestarts").append(h.workers().get().restarts());
                }
                out.append('}');
                sep = ",";
            }
            out.append("],");
            field("splits").append('[');
            sep = "";
            for (String endpoint : registry.endpoints()) {
                Optional<CanarySplit> split = registry.split(endpoint);
                if (split.isEmpty()) {
                    continue;
                }
                CanarySplit c = split.get();
                out.append(sep).append('{');
                field("endpoint");
                string(endpoint).append(',');
                field("primaryGeneration").append(c.primary().generation()).append(',');
                field("canaryGeneration").append(c.canary().generation()).append(',');
                field("canaryPercent").append(c.percent()).append(',');
                field("since");
                string(c.since().toString()).append(',');
                field("canaryOrigin");
                string(c.origin()).append('}');
                sep = ",";
            }
            out.append("],");
        }
        List<DeployFolder> folders = sources.deployFolders();
        field("deployFolders").append('[');
        String sep = "";
        for (DeployFolder folder : folders) {
            out.append(sep).append('{');
            field("directory");
            string(folder.directory().toString()).append(',');
            field("files").append('[');
            String fileSep = "";
            for (DeployFolder.Deployment d : folder.deployments()) {
                out.append(fileSep).append('{');
                field("file");
                string(d.file()).append(',');
                field("state");
                string(d.state().name()).append(',');
                field("bundleId").append(d.bundleId()).append(',');
                field("detail");
                string(d.detail()).append('}');
                fileSep = ",";
            }
            out.append("]}");
            sep = ",";
        }
        out.append("],");
        HttpNumbers http = sources.http();
        if (http != null) {
            field("http").append('{');
            field("listeners").append('[');
            sep = "";
            for (String url : http.listeners()) {
                out.append(sep);
                string(url);
                sep = ",";
            }
            out.append("],");
            field("connections").append(http.connections()).append(',');
            field("inFlight").append(http.inFlight()).append("},");
        }
        field("checks").append('[');
        sep = "";
        for (Check c : health.checks()) {
            out.append(sep).append('{');
            field("name");
            string(c.name()).append(',');
            field("ok").append(c.ok()).append(',');
            field("detail");
            string(c.detail()).append('}');
            sep = ",";
        }
        out.append("]}\n");
        return out.toString();
    }

    private StringBuilder field(String name) {
        string(name);
        return out.append(':');
    }

    private StringBuilder string(String s) {
        if (s == null) {
            return out.append("null");
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"');
    }
}
