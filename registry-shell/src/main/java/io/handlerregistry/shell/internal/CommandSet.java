package io.handlerregistry.shell.internal;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

/**
 * The handler commands for a shell that does not call Gogo command services itself (Karaf's): their
 * names, descriptions, usages, options and argument candidates, and a way to run one.
 */
public final class CommandSet {
    private final HandlerCommands commands;

    CommandSet(HandlerCommands commands) {
        this.commands = commands;
    }

    public String scope() {
        return HandlerCommands.SCOPE;
    }

    /** The commands, without handler:help (such a shell has its own help). */
    public List<String> names() {
        List<String> names = new ArrayList<>(HandlerCommands.COMMANDS);
        names.remove("help");
        return names;
    }

    public String description(String name) {
        Descriptor d = HandlerCommands.methods(name).get(0).getAnnotation(Descriptor.class);
        return d == null ? name : d.value();
    }

    /** The list of the commands with what each does, as handler:help shows it. */
    public static String summary() {
        return HandlerCommands.summary();
    }

    /** The usage, as {@code --help} shows it, for the terminal of the calling command. */
    public String usage(String name) {
        return Usage.of(HandlerCommands.class, scope(), name, Screen.current().helpWidth());
    }

    /** Every option name of the command, --help included. */
    public List<String> options(String name) {
        List<String> options = new ArrayList<>();
        for (Method m : HandlerCommands.methods(name)) {
            for (java.lang.reflect.Parameter p : m.getParameters()) {
                Parameter option = p.getAnnotation(Parameter.class);
                if (option != null) {
                    for (String n : option.names()) {
                        if (!options.contains(n)) {
                            options.add(n);
                        }
                    }
                }
            }
        }
        for (String help : List.of("-h", "--help")) {
            if (!options.contains(help)) {
                options.add(help);
            }
        }
        return options;
    }

    /** What may be typed at word {@code index} of the command line (the command first); null: a file. */
    public List<String> candidates(List<String> words, int index) {
        return commands._complete(words, index);
    }

    /** Runs the command with the words typed after its name. */
    public Object invoke(String name, CommandSession session, List<String> words) throws Exception {
        return Invocation.invoke(commands, scope(), name, session, words);
    }
}
