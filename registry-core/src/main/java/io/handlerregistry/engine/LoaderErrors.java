package io.handlerregistry.engine;

import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.handlerregistry.api.HandlerLoadException.Reason;
import io.handlerregistry.api.HandlerLoadException;

/** Turns the platform loader's error text into a {@link HandlerLoadException} that says what to do. */
final class LoaderErrors {
    private LoaderErrors() {
    }

    static HandlerLoadException classify(String endpointId, Path file, String source, Path copy,
            UnsatisfiedLinkError error) {
        String detail = loaderText(error).replace(copy.toString(), source);
        String text = detail.toLowerCase(Locale.ROOT);
        Reason reason;
        String advice;
        if (text.contains("undefined symbol") || text.contains("symbol not found")) {
            reason = Reason.UNRESOLVED_SYMBOL;
            advice = "it uses a symbol that neither it nor its dependencies define: link the library that"
                    + " defines it (or fix the name) and rebuild";
        } else if (text.contains("wrong elf class") || text.contains("incompatible architecture")
                || text.contains("not a valid win32 application")) {
            reason = Reason.WRONG_ARCHITECTURE;
            advice = "it was built for another CPU architecture or word size: build it for this platform";
        } else if (text.contains("cannot open shared object file") || text.contains("library not loaded")
                || text.contains("specified module could not be found")) {
            reason = Reason.MISSING_DEPENDENCY;
            advice = "a library it depends on was not found: install that library where the system loader"
                    + " finds it, link it statically, or set an rpath";
        } else if (text.contains("failed to map segment") || text.contains("operation not permitted")) {
            reason = Reason.LOAD_FAILED;
            advice = "its private copy " + copy + " could not be mapped executable: is " + copy.getParent()
                    + " on a file system mounted noexec? Set the registry's copy directory to one that allows"
                    + " executable mappings";
        } else if (text.contains("out of memory") || text.contains("cannot allocate memory")) {
            reason = Reason.LOAD_FAILED;
            advice = "the process had no memory left to map it; in process isolation, raise"
                    + " process.memory.limit.mb (the worker's whole address space counts: the shared memory of its"
                    + " call slots, their threads' stacks, the library)";
        } else if (text.contains("invalid elf header") || text.contains("file too short")
                || text.contains("not a mach-o file") || text.contains("not a dynamic")) {
            reason = Reason.NOT_A_LIBRARY;
            advice = "the file is not a shared library: deploy the .so/.dll/.dylib built from the handler";
        } else {
            reason = Reason.LOAD_FAILED;
            advice = "the system loader refused it";
        }
        return new HandlerLoadException(endpointId, file, reason,
                "endpoint '" + endpointId + "': cannot load " + source + ": " + advice + " (loader said: "
                        + detail + ")",
                error);
    }

    /** The platform loader's own lines of JNA's message, without JNA's search bookkeeping. */
    private static String loaderText(UnsatisfiedLinkError error) {
        String text = Stream.of(String.valueOf(error.getMessage()).split("\\R"))
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("Unable to load library")
                        && !line.startsWith("Native library ("))
                .distinct()
                .collect(Collectors.joining("; "));
        return text.isEmpty() ? String.valueOf(error.getMessage()) : text;
    }
}
