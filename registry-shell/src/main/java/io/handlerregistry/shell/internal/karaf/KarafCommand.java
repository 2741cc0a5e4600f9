package io.handlerregistry.shell.internal.karaf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.karaf.shell.api.console.Candidate;
import org.apache.karaf.shell.api.console.Command;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Parser;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.ArgumentCommandLine;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import io.handlerregistry.api.HandlerException;
import io.handlerregistry.shell.internal.CommandSet;

/** One handler command in Karaf's shell. */
final class KarafCommand implements Command {
    /** The Gogo session behind a Karaf session (Karaf puts it there for the commands it wraps itself). */
    private static final String COMMAND_SESSION = ".commandSession";

    private final CommandSet commands;
    private final String name;

    KarafCommand(CommandSet commands, String name) {
        this.commands = commands;
        this.name = name;
    }

    @Override
    public String getScope() {
        return commands.scope();
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public String getDescription() {
        return commands.description(name);
    }

    /**
     * Runs the command. {@code --help} prints the usage rather than returning it: Karaf's
     * {@code help <command>} runs {@code <command> --help} and shows what it printed.
     */
    @Override
    public Object execute(Session session, List<Object> arguments) throws Exception {
        List<String> words = new ArrayList<>();
        arguments.forEach(a -> words.add(String.valueOf(a)));
        if (!words.isEmpty() && (words.get(0).equals("--help") || words.get(0).equals("-h"))) {
            System.out.println(commands.usage(name));
            return null;
        }
        try {
            return commands.invoke(name, (CommandSession) session.get(COMMAND_SESSION), words);
        } catch (IllegalArgumentException | IllegalStateException | HandlerException refusal) {
            // a usage error, a refused library, an unknown endpoint: what to do is in the message, no stack needed
            throw new CommandException(refusal);
        }
    }

    @Override
    public Completer getCompleter(boolean scoped) {
        List<String> names = scoped ? List.of(name) : List.of(getScope() + ":" + name, name);
        return new Completer() {
            @Override
            public int complete(Session session, CommandLine line, List<String> candidates) {
                String[] arguments = line.getArguments();
                if (line.getCursorArgumentIndex() == 0) { // Karaf asks every command's completer for names too
                    int at = new StringsCompleter(names).complete(session,
                            new ArgumentCommandLine(arguments.length == 0 ? "" : arguments[0], line.getArgumentPosition()),
                            candidates);
                    return at < 0 ? at : at + line.getBufferPosition() - line.getArgumentPosition();
                }
                List<String> values = values(line);
                return values == null ? -1 : new StringsCompleter(values, true).complete(session, line, candidates);
            }

            @Override
            public void completeCandidates(Session session, CommandLine line, List<Candidate> candidates) {
                if (line.getCursorArgumentIndex() > 0 && isOurs(line) && values(line) == null) {
                    new FileCompleter().completeCandidates(session, line, candidates); // a file is wanted
                } else {
                    Completer.super.completeCandidates(session, line, candidates);
                }
            }

            private boolean isOurs(CommandLine line) {
                return line.getArguments().length > 0 && names.contains(line.getArguments()[0]);
            }

            /** Options after a dash, else what the argument at the cursor is; null: a file (or not ours). */
            private List<String> values(CommandLine line) {
                if (!isOurs(line)) {
                    return List.of();
                }
                int index = line.getCursorArgumentIndex();
                List<String> words = new ArrayList<>(Arrays.asList(line.getArguments()));
                while (words.size() <= index) {
                    words.add("");
                }
                return words.get(index).startsWith("-") ? commands.options(name) : commands.candidates(words, index);
            }
        };
    }

    @Override
    public Parser getParser() {
        return null; // Gogo's
    }
}
