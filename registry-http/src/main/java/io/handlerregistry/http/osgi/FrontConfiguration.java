package io.handlerregistry.http.osgi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the HTTP front, PID {@code io.handlerregistry.http} (its metatype: the Felix Web
 * Console and Karaf's {@code config:meta} show typed forms). The component reads the values itself
 * and checks each one (see {@code HttpSettings}); a key the configuration does not set falls back to
 * the framework property {@code io.handlerregistry.http.<key>}.
 */
@ObjectClassDefinition(id = "io.handlerregistry.http", name = "Handler registry HTTP front",
        description = "Serves the registry's endpoints over HTTP/1.1 and cleartext HTTP/2 (h2c).")
@interface FrontConfiguration {
    @AttributeDefinition(name = "Host", description = "The address to listen on: 127.0.0.1 (nothing reachable from"
            + " elsewhere), 0.0.0.0 or :: for every interface, or a host name.")
    String host() default "127.0.0.1";

    @AttributeDefinition(name = "Port", description = "The port to listen on; 0 for any free port (the one bound is"
            + " logged and shown by handler:http).", min = "0", max = "65535")
    int port() default 8080;

    @AttributeDefinition(name = "h2c", description = "Cleartext HTTP/2 beside HTTP/1.1 (prior knowledge and upgrade).")
    boolean h2c() default true;

    @AttributeDefinition(name = "Max request body (bytes)", description = "Larger bodies are answered 413.", min = "0")
    int max_request_body_bytes() default 1 << 20;

    @AttributeDefinition(name = "Max request header (bytes)", description = "Larger request headers are answered 431.",
            min = "512", max = "1048576")
    int max_request_header_bytes() default 8 << 10;

    @AttributeDefinition(name = "Idle timeout (ms)", description = "An idle connection is closed after this long.",
            min = "1")
    long idle_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Request timeout (ms)", description = "The deadline handed to the handler; past it"
            + " the client gets 504 (the call goes on in the handler and keeps its place). 0: none.", min = "0")
    long request_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Max connections", description = "Connections open at once; more wait to be"
            + " accepted. 0: no limit.", min = "0")
    int max_connections() default 0;

    @AttributeDefinition(name = "Max concurrent requests", description = "Requests answered at once; more get 503"
            + " with Retry-After at once, as do the requests of one endpoint beyond half of it.", min = "1",
            max = "10000")
    int max_concurrent_requests() default 200;

    @AttributeDefinition(name = "Routes", description = "[METHOD,...] PATH -> ENDPOINT, most specific first, e.g."
            + " 'GET,POST /api/users/* -> users'; PATH is exact or ends in /* (that path and below). The handler gets"
            + " the request's path as it is.")
    String[] routes() default {};

    @AttributeDefinition(name = "Default route", description = "Also route /{endpoint}/{rest} to endpoint with the"
            + " path /{rest}, after the routes above.")
    boolean default_route() default true;

    @AttributeDefinition(name = "Shutdown delay (ms)", description = "On stop: how long to keep serving after no"
            + " longer reporting ready (a load balancer's time to notice).", min = "0")
    long shutdown_delay_ms() default 0;

    @AttributeDefinition(name = "Shutdown timeout (ms)", description = "On stop: how long requests in flight may"
            + " take to finish.", min = "0")
    long shutdown_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Whiteboard", description = "Also serve the routes on the application's own HTTP"
            + " server, through its OSGi HTTP Whiteboard (jakarta servlet, e.g. Felix HTTP Jetty 12): a servlet at the"
            + " whiteboard path. The front keeps serving on its own port.")
    boolean whiteboard_enabled() default false;

    @AttributeDefinition(name = "Whiteboard path", description = "Where the servlet serves on the application's"
            + " server: /handlers/echo/x there is /echo/x here; / for all of it.")
    String whiteboard_path() default "/handlers";
}
