package io.handlerregistry.osgi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

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

    @AttributeDefinition(name = "Isolation", description = "Where handler libraries run unless an endpoint's own"
            + " setting, its bundle's Handler-Isolation header or the load says otherwise: in-process (fastest; a"
            + " crash ends the container) or process (a worker process per version; a crash ends only that"
            + " worker, which is restarted). Applies to the loads and swaps to come.",
            options = {@Option(label = "in-process", value = "in-process"), @Option(label = "process", value = "process")})
    String isolation() default "in-process";

    @AttributeDefinition(name = "Isolation per endpoint", description = "Endpoints whose libraries run elsewhere than"
            + " the default, as endpoint=mode separated by commas, e.g. 'imaging=process, echo=in-process'. Beats a"
            + " bundle's Handler-Isolation header. Applies to the loads and swaps to come.")
    String isolation_endpoints() default "";

    @AttributeDefinition(name = "Process isolation: workers", description = "Worker processes per loaded version in"
            + " process isolation. With more than one, a crash or a killed hung call ends the calls inside one"
            + " worker only.", min = "1", max = "64")
    int process_workers() default 1;

    @AttributeDefinition(name = "Process isolation: concurrency", description = "Calls one worker process serves at"
            + " once (a thread each); more wait for a free slot until their deadline.", min = "1", max = "1024")
    int process_concurrency() default 16;

    @AttributeDefinition(name = "Process isolation: slot size (bytes)", description = "The largest request, and the"
            + " largest response, a call to a process-isolated handler may carry, headers included.", min = "65536")
    int process_slot_bytes() default 1 << 20;

    @AttributeDefinition(name = "Process isolation: hang grace (ms)", description = "How long past its deadline a"
            + " call may stay inside a worker process before the worker is killed and restarted (calls without a"
            + " deadline are never killed).", min = "0")
    long process_hang_grace_ms() default 1_000;

    @AttributeDefinition(name = "Process isolation: max crashes", description = "Crashes within the crash window"
            + " after which a version is no longer restarted and is reported as failed.", min = "1")
    int process_max_crashes() default 5;

    @AttributeDefinition(name = "Process isolation: crash window (ms)", min = "1")
    long process_crash_window_ms() default 60_000;

    @AttributeDefinition(name = "Process isolation: shutdown timeout (ms)", description = "How long a drained worker"
            + " may take for handler_shutdown before it is killed.", min = "0")
    long process_shutdown_timeout_ms() default 10_000;

    @AttributeDefinition(name = "Process isolation: memory limit (MiB)", description = "Address space limit of each"
            + " worker process (RLIMIT_AS); 0 for none. A worker over it fails its allocations.", min = "0")
    long process_memory_limit_mb() default 0;

    @AttributeDefinition(name = "Process isolation: CPU limit (s)", description = "CPU time limit of each worker"
            + " process (RLIMIT_CPU); 0 for none. A worker over it is killed (SIGXCPU) and restarted.", min = "0")
    long process_cpu_limit_s() default 0;

    @AttributeDefinition(name = "Cleanup interval (ms)", description = "How often drained versions are unloaded."
            + " Applies from the next start of the registry.", min = "1")
    long cleanup_interval_ms() default 1_000;

    @AttributeDefinition(name = "History size", description = "How many versions of each endpoint its history keeps,"
            + " the one serving included: what handler:history shows and handler:rollback can go back to. The"
            + " library of each is kept on disk (not loaded) while an entry names it. A change applies at once.",
            min = "1", max = "100")
    int history_size() default 5;

    @AttributeDefinition(name = "History directory", description = "Where the version history and the libraries"
            + " it keeps are written, so that they and a rollback survive a restart. Empty: the registry bundle's"
            + " data area (which a framework that cleans its cache at start forgets). Applies from the next start.")
    String history_directory() default "";

    @AttributeDefinition(name = "Canary splits", description = "Canary splits to make, as endpoint=canary:percent"
            + " separated by commas: the canary is a version the endpoint's history keeps (its number or version, see"
            + " handler:history) or a library file; it gets that percent (more than 0, less than 100) of the"
            + " endpoint's new calls, e.g. 'greeting=2.0.0:20'. An entry applies when it is new or changed (an"
            + " endpoint not loaded yet: once it is); an entry removed aborts the split it made. A split that cannot"
            + " be made is one log line, and the endpoint stays as it was.")
    String splits() default "";

    @AttributeDefinition(name = "Guard", description = "Whether the guard watches every endpoint: it rolls a new"
            + " version back by itself (aborts a canary) when too many of its calls fail (see the guard's other"
            + " settings); guard.endpoints turns it on or off per endpoint.")
    boolean guard_enabled() default false;

    @AttributeDefinition(name = "Guard: window (s)", description = "How far back the guard counts calls and failures.",
            min = "1")
    long guard_window_s() default 60;

    @AttributeDefinition(name = "Guard: max failure ratio", description = "Failures per call (handler errors,"
            + " crashes, callers that timed out) above which the guard rolls back: more than 0, at most 1 (0.1:"
            + " more than 10 % failed).")
    String guard_max_failure_ratio() default "0.1";

    @AttributeDefinition(name = "Guard: min requests", description = "Calls that must have ended within the window"
            + " before the guard acts.", min = "1")
    long guard_min_requests() default 20;

    @AttributeDefinition(name = "Guard: promote after (s)", description = "How long a canary that does not fail"
            + " too often runs before the guard promotes it (with at least min requests calls); 0: never.",
            min = "0")
    long guard_promote_after_s() default 0;

    @AttributeDefinition(name = "Guard: watch (s)", description = "How long after a swap the guard watches the new"
            + " version; 0: for as long as it serves. A canary is watched for as long as its split lasts.",
            min = "0")
    long guard_watch_s() default 600;

    @AttributeDefinition(name = "Guard per endpoint", description = "Endpoints the guard watches with settings of"
            + " their own: entries separated by commas, each an endpoint id and then, separated by spaces, its own"
            + " settings as key=value (enabled, window.s, max.failure.ratio, min.requests, promote.after.s,"
            + " watch.s), e.g. 'greeting, checkout window.s=30 max.failure.ratio=0.05, echo enabled=false'. An"
            + " endpoint named is watched unless it says enabled=false.")
    String guard_endpoints() default "";

    @AttributeDefinition(name = "Uninstall replaced bundles", description = "Whether a handler bundle replaced by a"
            + " better one for its endpoint is uninstalled once its calls drained.")
    boolean uninstall_replaced() default true;
}
