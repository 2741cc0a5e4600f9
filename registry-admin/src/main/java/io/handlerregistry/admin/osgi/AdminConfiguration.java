package io.handlerregistry.admin.osgi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the admin front, PID {@code io.handlerregistry.admin} (its metatype: the Felix Web
 * Console and Karaf's {@code config:meta} show typed forms). The component reads the values itself and
 * checks each one (see {@code AdminSettings}); a key the configuration does not set falls back to the
 * framework property {@code io.handlerregistry.admin.<key>}.
 */
@ObjectClassDefinition(id = "io.handlerregistry.admin", name = "Handler registry admin front",
        description = "Read-only: /metrics (Prometheus, OpenMetrics), /livez, /readyz, /status, on a port apart from"
                + " the traffic port.")
@interface AdminConfiguration {
    @AttributeDefinition(name = "Host", description = "The address to listen on: 127.0.0.1 (nothing reachable from"
            + " elsewhere), 0.0.0.0 or :: for every interface, or a host name.")
    String host() default "127.0.0.1";

    @AttributeDefinition(name = "Port", description = "The port to listen on; 0 for any free port (the one bound is"
            + " logged and shown by handler:health).", min = "0", max = "65535")
    int port() default 9090;

    @AttributeDefinition(name = "JVM metrics", description = "Also serve the JVM's own metrics (memory, garbage"
            + " collection, threads, classes, CPU) on /metrics.")
    boolean jvm_metrics() default true;
}
