package io.handlerregistry.admin.server;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.handlerregistry.admin.api.AdminFront.Check;
import io.handlerregistry.admin.api.AdminFront.Health;
import io.handlerregistry.api.DeployFolder;
import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HandlerState;

/**
 * The health checks: live while the registry runs; ready while it runs, is not stopping, the HTTP front
 * (where installed) is bound, and every file of the deploy folders is settled and its endpoint served.
 */
public final class Checks {
    private static final List<String> LIVE_AND_READY = List.of("live", "ready");
    private static final List<String> READY = List.of("ready");

    private Checks() {
    }

    public static Health of(Sources sources) {
        List<Check> checks = new ArrayList<>();
        HandlerRegistry registry = sources.registry();
        checks.add(registry == null
                ? new Check("registry", false, "the handler registry is not active: see the log for why (bundle"
                        + " io.handlerregistry.registry-core, its configuration io.handlerregistry.registry)",
                        LIVE_AND_READY)
                : new Check("registry", true, registry.stats().loadedCount() + " endpoints served", LIVE_AND_READY));
        checks.add(sources.stopping()
                ? new Check("stopping", false, "the container is stopping: requests in flight finish, new ones go"
                        + " elsewhere", READY)
                : new Check("stopping", true, "not stopping", READY));
        checks.add(http(sources));
        checks.add(deploy(sources));
        if (registry != null) {
            checks.add(failed(registry));
        }
        boolean live = checks.stream().filter(c -> c.tags().contains("live")).allMatch(Check::ok);
        boolean ready = checks.stream().filter(c -> c.tags().contains("ready")).allMatch(Check::ok);
        return new Health(live, ready, checks);
    }

    private static Check http(Sources sources) {
        String missing = sources.httpMissing();
        if (missing != null) {
            return new Check("http", false, missing, READY);
        }
        HttpNumbers http = sources.http();
        if (http == null) {
            return new Check("http", true, "no HTTP front installed", READY);
        }
        List<String> listeners = http.listeners();
        return listeners.isEmpty()
                ? new Check("http", false, "the HTTP front listens nowhere: its address could not be opened (see the"
                        + " log); set host and port in the configuration io.handlerregistry.http", READY)
                : new Check("http", true, "listening on " + String.join(", ", listeners), READY);
    }

    private static Check deploy(Sources sources) {
        String starting = sources.deployFolderStarting();
        if (starting != null) {
            return new Check("deploy", false, starting, READY);
        }
        List<DeployFolder> folders = sources.deployFolders();
        if (folders.isEmpty()) {
            return new Check("deploy", true, "no deploy folder", READY);
        }
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int files = 0;
        for (DeployFolder folder : folders) {
            for (DeployFolder.Deployment d : folder.deployments()) {
                files++;
                String name = folder.directory().resolve(d.file()).toString();
                if (d.state() == DeployFolder.State.PENDING) {
                    problems.add(name + " is pending (changing; deployed once it is stable)");
                } else if (d.state() == DeployFolder.State.FAILED) {
                    // a broken file does not take every instance out; its detail says what serves the endpoint
                    notes.add(name + " failed (" + d.detail() + ")");
                }
            }
        }
        if (!problems.isEmpty()) {
            return new Check("deploy", false, String.join("; ", problems), READY);
        }
        return new Check("deploy", true, files + (files == 1 ? " file" : " files") + " settled"
                + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)), READY);
    }

    /** Versions whose workers crashed too often: their endpoints answer with errors. Reported, not counted. */
    private static Check failed(HandlerRegistry registry) {
        List<String> failed = registry.handlers().stream().filter(h -> h.state() == HandlerState.FAILED)
                .map(h -> "'" + h.endpointId() + "' (" + h.source() + ")").collect(Collectors.toList());
        return failed.isEmpty() ? new Check("workers", true, "no failed version", List.of())
                : new Check("workers", false, "FAILED (crashed too often, not restarted): " + String.join(", ", failed)
                        + "; swap in a fixed version", List.of());
    }
}
