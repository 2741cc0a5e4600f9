package io.handlerregistry.shell.internal;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import io.handlerregistry.api.HandlerRegistry;
import io.handlerregistry.api.HistoryEntry;
import io.handlerregistry.api.Isolation;
import io.handlerregistry.api.LoadedHandler;

/**
 * What Tab offers for an argument of a handler command, read from the command's annotations: the
 * positional parameter at the cursor (or the option before it) says what is wanted. Endpoint ids
 * come from the registry (for {@code load}: the libraries in the handlers directory not loaded
 * yet), versions from the endpoint's loaded versions; {@code null} means "a file", which the shell
 * profile completes with Gogo's file completer.
 */
final class Completion {
    private static final List<String> ISOLATIONS = Arrays.stream(Isolation.values()).map(Isolation::label)
            .toList();
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD");

    private final HandlerRegistry registry;

    Completion(HandlerRegistry registry) {
        this.registry = registry;
    }

    /**
     * @param words the words of the command line, the command first
     * @param index the word the cursor is in
     * @return the candidates, or null when a file name is wanted
     */
    List<String> candidates(List<String> words, int index) {
        if (words.isEmpty() || index < 1 || index > words.size()) {
            return List.of();
        }
        String command = words.get(0).substring(words.get(0).indexOf(':') + 1);
        List<Method> methods = HandlerCommands.methods(command);
        if (methods.isEmpty()) {
            return List.of();
        }
        List<String> positionals = new ArrayList<>();
        for (int i = 1; i < index; i++) {
            String word = words.get(i);
            Optional<Parameter> option = option(methods, word);
            if (option.isPresent()) {
                if (takesValue(option.get())) {
                    if (i == index - 1) {
                        return optionValues(option.get());
                    }
                    i++; // its value
                }
            } else {
                positionals.add(word);
            }
        }
        String typed = index < words.size() ? words.get(index) : "";
        return argumentValues(wanted(methods, positionals.size()), positionals, typed);
    }

    private List<String> optionValues(Parameter option) {
        List<String> names = List.of(option.names());
        if (names.contains("--file")) {
            return null;
        }
        if (names.contains("--isolation")) {
            return ISOLATIONS;
        }
        return names.contains("--method") ? METHODS : List.of();
    }

    private List<String> argumentValues(String wanted, List<String> before, String typed) {
        switch (wanted) {
        case HandlerCommands.ENDPOINT:
            Set<String> endpoints = new TreeSet<>(registry.endpoints());
            endpoints.removeAll(before); // handler:top a b <Tab>
            return List.copyOf(endpoints);
        case HandlerCommands.NEW_ENDPOINT:
            return loadable();
        case HandlerCommands.LIBRARY:
            return null;
        case HandlerCommands.VERSION:
            List<String> versions = new ArrayList<>();
            for (LoadedHandler h : registry.handlers()) {
                if (!before.isEmpty() && h.endpointId().equals(before.get(0))) {
                    versions.add(HandlerCommands.versionOf(h));
                }
            }
            return versions;
        case HandlerCommands.CANARY:
            // a kept version, or a file: files once the word looks like a path, or when nothing is kept
            if (typed.startsWith("/") || typed.startsWith(".") || typed.startsWith("~") || typed.contains("/")) {
                return null;
            }
            List<String> keptOnes = keptVersions(before);
            return keptOnes.isEmpty() ? null : keptOnes;
        case HandlerCommands.PERCENT:
            return List.of("1", "5", "10", "20", "50");
        case HandlerCommands.KEPT_VERSION:
            return keptVersions(before);
        case HandlerCommands.COMMAND:
            return HandlerCommands.COMMANDS;
        default:
            return List.of();
        }
    }

    /** The versions of the endpoint named first that a rollback (or a split) can go to: kept, another library. */
    private List<String> keptVersions(List<String> before) {
        List<String> kept = new ArrayList<>();
        if (!before.isEmpty()) {
            try {
                List<HistoryEntry> history = registry.history(before.get(0));
                String serving = history.isEmpty() || !history.get(0).serving() ? null : history.get(0).sha256();
                for (HistoryEntry e : history) { // those a rollback can go to: kept, another library
                    if (e.kept() && !e.serving() && !e.sha256().equals(serving)) {
                        kept.add(String.valueOf(e.number()));
                        if (!e.version().isEmpty() && !kept.contains(e.version())) {
                            kept.add(e.version());
                        }
                    }
                }
            } catch (RuntimeException invalidId) {
                return List.of();
            }
        }
        return kept;
    }

    /** The endpoint ids of the libraries in the handlers directory that are not loaded. */
    private List<String> loadable() {
        String pattern = HandlerRegistry.libraryFileName("ID");
        String prefix = pattern.substring(0, pattern.indexOf("ID"));
        String suffix = pattern.substring(pattern.indexOf("ID") + 2);
        Set<String> ids = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(registry.handlersDirectory(),
                prefix + "*" + suffix)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String id = name.substring(prefix.length(), name.length() - suffix.length());
                if (!id.isEmpty() && !registry.isLoaded(id)) {
                    ids.add(id);
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of(); // no handlers directory, or a name that is no endpoint id: nothing to offer
        }
        return List.copyOf(ids);
    }

    /** What the positional parameter number {@code n} of the command is (its descriptor). */
    private static String wanted(List<Method> methods, int n) {
        Method longest = methods.stream().max(Comparator.comparingInt(m -> positionals(m).size())).orElseThrow();
        List<java.lang.reflect.Parameter> params = positionals(longest);
        if (params.isEmpty()) {
            return "";
        }
        java.lang.reflect.Parameter p = n < params.size() ? params.get(n) : params.get(params.size() - 1);
        if (n >= params.size() && !p.isVarArgs()) {
            return "";
        }
        Descriptor d = p.getAnnotation(Descriptor.class);
        return d == null ? "" : d.value();
    }

    private static List<java.lang.reflect.Parameter> positionals(Method m) {
        List<java.lang.reflect.Parameter> list = new ArrayList<>();
        for (java.lang.reflect.Parameter p : m.getParameters()) {
            if (p.getType() != CommandSession.class && p.getAnnotation(Parameter.class) == null) {
                list.add(p);
            }
        }
        return list;
    }

    private static Optional<Parameter> option(List<Method> methods, String word) {
        if (!word.startsWith("-")) {
            return Optional.empty();
        }
        return methods.stream().flatMap(m -> Arrays.stream(m.getParameterAnnotations()))
                .flatMap(Arrays::stream).filter(Parameter.class::isInstance).map(Parameter.class::cast)
                .filter(p -> Arrays.asList(p.names()).contains(word)).findFirst();
    }

    private static boolean takesValue(Parameter option) {
        return option.presentValue().equals(Parameter.UNSPECIFIED);
    }
}
