package io.handlerregistry.osgi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the handler registry service, PID {@value RegistryComponent#PID}. A key the
 * configuration does not set falls back to the framework property {@code io.handlerregistry.registry.<key>}.
 */
@ObjectClassDefinition(id = RegistryComponent.PID, name = "Handler registry",
        description = "Hosts native handler libraries, one per endpoint id, and swaps them while they serve.")
public @interface RegistryConfiguration {
    @AttributeDefinition(name = "Handlers directory", description = "Where handler:load <id> and load(id) look for"
            + " the endpoint's library (libhandler_<id>.so), relative to the working directory.")
    String handlers_directory() default "handlers";

    @AttributeDefinition(name = "Copy directory", description = "Where the private copy of every loaded library"
            + " version is written (it must allow mapping executable code, not noexec). Empty: the registry"
            + " bundle's data area.")
    String copy_directory() default "";

    @AttributeDefinition(name = "Drain timeout (ms)", description = "How long a replaced or removed version may"
            + " keep calls inside before it is reported; it is never cut off, and unloaded when they return.",
            min = "0")
    long drain_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Stop timeout (ms)", description = "How long stopping a handler bundle waits for"
            + " the calls inside its library before the stop goes on (the library is unloaded when they return).",
            min = "0")
    long stop_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Init timeout (ms)", description = "How long a library's handler_init may take;"
            + " past it the load is refused and the version that was serving keeps serving. Applies from the next"
            + " start of the registry.", min = "1")
    long init_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Max concurrent calls", description = "How many calls may be inside one loaded version"
            + " at once (a version swapped in has places of its own); 0 for no limit. Calls stuck in a handler"
            + " hold their places, so a hung version holds at most this many threads. A call over it is refused"
            + " at once, or waits (below). A change applies in place, to the calls that start afterwards.",
            min = "0")
    int max_concurrent_calls() default 256;

    @AttributeDefinition(name = "Max waiting calls", description = "How many calls over the limit may wait for a"
            + " place, per version; a call waits only until its deadline, one without a deadline is refused at"
            + " once. 0: every call over the limit is refused at once.", min = "0")
    int max_waiting_calls() default 0;

    @AttributeDefinition(name = "Cleanup interval (ms)", description = "How often drained versions are unloaded."
            + " Applies from the next start of the registry.", min = "1")
    long cleanup_interval_ms() default 1_000;

    @AttributeDefinition(name = "Uninstall replaced bundles", description = "Whether a handler bundle replaced by a"
            + " better one for its endpoint is uninstalled once its calls drained.")
    boolean uninstall_replaced() default true;
}
