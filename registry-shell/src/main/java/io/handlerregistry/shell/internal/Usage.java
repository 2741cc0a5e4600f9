package io.handlerregistry.shell.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

/**
 * The usage of a command, written from its annotations ({@link Descriptor}, {@link Parameter}), so
 * that it cannot drift from what the command accepts: a synopsis, what it does, its options.
 */
final class Usage {
    private Usage() {
    }

    /** True when a command's first word asks for its usage. */
    static boolean asked(String... words) {
        return words.length > 0 && (words[0].equals("-h") || words[0].equals("--help"));
    }

    /** The usage of every public method of that name on the commands' class, at most 100 columns wide. */
    static String of(Class<?> commands, String scope, String name) {
        return of(commands, scope, name, Screen.HELP_WIDTH);
    }

    /** The usage, wrapped at spaces to {@code width} columns. */
    static String of(Class<?> commands, String scope, String name, int width) {
        if (methods(commands, name).isEmpty()) {
            throw new UsageError("no command '" + scope + ":" + name + "': see " + scope + ":help");
        }
        StringBuilder out = new StringBuilder();
        methods(commands, name).forEach(m -> out.append(synopsis(scope, m, width)).append('\n'));
        Method first = methods(commands, name).get(0);
        Descriptor what = first.getAnnotation(Descriptor.class);
        if (what != null) {
            out.append(indented(2, what.value(), width));
        }
        List<String> options = new ArrayList<>();
        for (Method m : methods(commands, name)) {
            for (Annotation[] annotations : m.getParameterAnnotations()) {
                Parameter p = find(annotations, Parameter.class);
                Descriptor d = find(annotations, Descriptor.class);
                if (p != null && !isHelp(p)) {
                    boolean takesValue = p.presentValue().equals(Parameter.UNSPECIFIED);
                    String line = column(width, 2, String.join(", ", p.names())
                            + (takesValue ? " <" + placeholder(p) + ">" : ""),
                            (d == null ? "" : d.value()) + (!takesValue || p.absentValue().isEmpty() ? ""
                                    : " (default " + p.absentValue() + ")"));
                    if (!options.contains(line)) {
                        options.add(line);
                    }
                }
            }
        }
        options.add(column(width, 2, "-h, --help", "shows this usage"));
        out.append("options:\n");
        options.forEach(out::append);
        return out.toString();
    }

    /** One line per command: its name and what it does. */
    static String summary(Class<?> commands, String scope, List<String> names, int width) {
        StringBuilder out = new StringBuilder();
        for (String name : names) {
            Descriptor d = methods(commands, name).get(0).getAnnotation(Descriptor.class);
            out.append(column(width, 0, scope + ":" + name, d == null ? "" : d.value()));
        }
        return out.toString();
    }

    /**
     * The Gogo {@code complete} definitions of the commands (gogo.jline's completion): each one's
     * description and options, and for those with arguments the profile function that offers them.
     * The shell profile holds them; a test keeps them equal to what this writes.
     */
    static String completions(Class<?> commands, String scope, List<String> names, String argumentFunction) {
        StringBuilder out = new StringBuilder();
        for (String name : names) {
            String command = scope + ":" + name;
            List<Method> methods = methods(commands, name);
            out.append("complete -c ").append(command).append(" -e\n");
            Descriptor what = methods.get(0).getAnnotation(Descriptor.class);
            if (what != null) {
                out.append("complete -c ").append(command).append(" -d ").append(quote(what.value())).append('\n');
            }
            List<String> done = new ArrayList<>();
            boolean arguments = false;
            for (Method m : methods) {
                Annotation[][] annotations = m.getParameterAnnotations();
                for (int i = 0; i < annotations.length; i++) {
                    Parameter p = find(annotations[i], Parameter.class);
                    if (p == null) {
                        arguments |= m.getParameterTypes()[i] != CommandSession.class;
                    } else if (!done.contains(p.names()[0])) {
                        done.add(p.names()[0]);
                        Descriptor d = find(annotations[i], Descriptor.class);
                        out.append(completeOption(command, p.names(), d == null ? "" : d.value()));
                    }
                }
            }
            if (!done.contains("-h")) {
                out.append(completeOption(command, new String[] {"-h", "--help"}, "shows this usage"));
            }
            if (arguments) {
                out.append("complete -c ").append(command).append(" -a ").append(quote(argumentFunction)).append('\n');
            }
        }
        return out.toString();
    }

    private static String completeOption(String command, String[] names, String description) {
        StringBuilder out = new StringBuilder("complete -c ").append(command);
        for (String n : names) {
            out.append(n.startsWith("--") ? " -l " + n.substring(2) : " -s " + n.substring(1));
        }
        return out.append(" --description ").append(quote(description)).append('\n').toString();
    }

    /** One Gogo word, single-quoted: nothing inside is expanded (descriptors hold no single quote). */
    private static String quote(String text) {
        if (text.indexOf('\'') >= 0) {
            throw new IllegalArgumentException("a descriptor with a single quote cannot be quoted for Gogo: " + text);
        }
        return "'" + text + "'";
    }

    /** Every way to call the command, on one line: its synopses joined by " or ". */
    static String synopses(Class<?> commands, String scope, String name) {
        List<String> all = new ArrayList<>();
        methods(commands, name).forEach(m -> all.add(synopsis(scope, m, Integer.MAX_VALUE)));
        return String.join(" or ", all);
    }

    private static String synopsis(String scope, Method m, int width) {
        List<String> words = new ArrayList<>();
        Class<?>[] types = m.getParameterTypes();
        Annotation[][] annotations = m.getParameterAnnotations();
        for (int i = 0; i < types.length; i++) {
            if (types[i] == CommandSession.class) {
                continue;
            }
            Parameter p = find(annotations[i], Parameter.class);
            Descriptor d = find(annotations[i], Descriptor.class);
            if (p != null && isHelp(p)) {
                continue;
            }
            String name = d == null ? "arg" : d.value().split("[,(:]")[0].strip();
            if (p != null) {
                words.add("[" + p.names()[0]
                        + (p.presentValue().equals(Parameter.UNSPECIFIED) ? " " + placeholder(p) : "") + "]");
            } else if (types[i].isArray()) {
                words.add("[" + name + "...]");
            } else {
                words.add("<" + name + ">");
            }
        }
        // words stay whole: a long synopsis goes on below the command's name
        String head = scope + ":" + m.getName();
        StringBuilder out = new StringBuilder(head);
        int column = head.length();
        for (String word : words) {
            if (column + 1 + word.length() > width) {
                out.append('\n').append(" ".repeat(head.length()));
                column = head.length();
            }
            out.append(' ').append(word);
            column += 1 + word.length();
        }
        return out.toString();
    }

    /**
     * The public methods of that name with a {@link Descriptor} (the others are helpers, not in the
     * usage), fewest parameters first; empty if there is none.
     */
    static List<Method> methods(Class<?> commands, String name) {
        List<Method> list = new ArrayList<>();
        Arrays.stream(commands.getMethods()).filter(m -> m.getName().equals(name))
                .filter(m -> m.isAnnotationPresent(Descriptor.class)).forEach(list::add);
        list.sort(Comparator.comparingInt(Method::getParameterCount));
        return list;
    }

    /** What an option's value is called: its long name (--file: file). */
    private static String placeholder(Parameter p) {
        String longest = Arrays.stream(p.names()).max(Comparator.comparingInt(String::length)).orElse("value");
        return longest.replaceFirst("^-+", "");
    }

    /** A name in a column of 26, then its text, wrapped at spaces to fit {@code width} columns. */
    private static String column(int width, int indent, String name, String text) {
        String head = " ".repeat(indent) + String.format("%-26s ", name);
        if (head.length() > indent + 27) {
            return head.stripTrailing() + "\n" + indented(indent + 27, text, width);
        }
        List<String> lines = Table.wrap(text, Math.max(1, width - head.length()));
        StringBuilder out = new StringBuilder(head).append(lines.get(0)).append('\n');
        lines.subList(1, lines.size()).forEach(l -> out.append(" ".repeat(head.length())).append(l).append('\n'));
        return out.toString();
    }

    private static String indented(int indent, String text, int width) {
        StringBuilder out = new StringBuilder();
        Table.wrap(text, Math.max(1, width - indent)).forEach(l -> out.append(" ".repeat(indent)).append(l).append('\n'));
        return out.toString();
    }

    private static boolean isHelp(Parameter p) {
        return Arrays.asList(p.names()).contains("--help");
    }

    private static <A extends Annotation> A find(Annotation[] annotations, Class<A> type) {
        for (Annotation a : annotations) {
            if (type.isInstance(a)) {
                return type.cast(a);
            }
        }
        return null;
    }
}
