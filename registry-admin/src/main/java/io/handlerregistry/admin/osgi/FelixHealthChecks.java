package io.handlerregistry.admin.osgi;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Supplier;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.handlerregistry.admin.api.AdminFront.Check;
import io.handlerregistry.admin.api.AdminFront.Health;

/**
 * The registry's checks as Felix Health Checks {@link HealthCheck} services (tags {@code handlerregistry}
 * and {@code live}/{@code ready}), for the Felix Health Checks executor, its servlet and Karaf's
 * {@code hc:*} commands. Loaded only where the bundle sees {@code org.apache.felix.hc.api}.
 */
final class FelixHealthChecks implements AutoCloseable {
    static final List<String> NAMES = List.of("registry", "stopping", "http", "deploy", "workers");
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    FelixHealthChecks(BundleContext context, Supplier<Health> health) {
        for (String name : NAMES) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(HealthCheck.NAME, "handler registry: " + name);
            List<String> tags = new ArrayList<>(List.of("handlerregistry"));
            tags.addAll(tagsOf(name));
            props.put(HealthCheck.TAGS, tags.toArray(String[]::new));
            HealthCheck check = () -> {
                for (Check c : health.get().checks()) {
                    if (c.name().equals(name)) {
                        return new Result(c.ok() ? Result.Status.OK
                                : c.tags().isEmpty() ? Result.Status.WARN : Result.Status.CRITICAL, c.detail());
                    }
                }
                return new Result(Result.Status.OK, "not checked here");
            };
            registrations.add(context.registerService(HealthCheck.class, check, props));
        }
    }

    private static List<String> tagsOf(String name) {
        switch (name) {
            case "registry":
                return List.of("live", "ready");
            case "workers":
                return List.of();
            default:
                return List.of("ready");
        }
    }

    @Override
    public void close() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
        registrations.clear();
    }
}
