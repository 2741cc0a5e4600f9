package io.handlerregistry.shell.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Parameter;

/**
 * Calls a handler command with the words typed after its name, as Gogo's own reflection does for the
 * commands it finds as services (options anywhere, by any of their names; a flag takes its
 * {@code presentValue}, an option the word after it; the rest, in order, are the arguments, the last
 * array parameter taking what is left), for shells that call commands otherwise (Karaf's). The
 * commands take text only (and their {@link CommandSession}), so nothing is converted.
 */
final class Invocation {
    private Invocation() {
    }

    /** Calls {@code name} on {@code commands}: the first of its public methods that takes these words. */
    static Object invoke(Object commands, String scope, String name, CommandSession session, List<String> words)
            throws Exception {
        List<Method> methods = new ArrayList<>();
        Arrays.stream(commands.getClass().getMethods()).filter(m -> m.getName().equals(name)).forEach(methods::add);
        methods.sort(Comparator.comparingInt(Method::getParameterCount));
        for (Method method : methods) {
            Object[] values = bind(method, session, words);
            if (values != null) {
                try {
                    return method.invoke(commands, values);
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof Exception) {
                        throw (Exception) cause;
                    }
                    throw (Error) cause;
                }
            }
        }
        String command = scope + ":" + name;
        String usage = Usage.methods(commands.getClass(), name).isEmpty() ? ""
                : ": " + Usage.synopses(commands.getClass(), scope, name);
        throw new UsageError(command + (words.isEmpty() ? ": arguments are missing" : ": these arguments do not fit ("
                + String.join(" ", words) + ")") + usage + "; see " + command + " --help");
    }

    /** The values of the method's parameters from the words, or null if they do not fit it. */
    private static Object[] bind(Method method, CommandSession session, List<String> words) {
        java.lang.reflect.Parameter[] parameters = method.getParameters();
        Object[] values = new Object[parameters.length];
        List<String> rest = new ArrayList<>(words);
        for (int i = 0; i < parameters.length; i++) {
            Parameter option = parameters[i].getAnnotation(Parameter.class);
            if (option == null) {
                continue;
            }
            int at = -1;
            for (String optionName : option.names()) {
                at = rest.indexOf(optionName);
                if (at >= 0) {
                    break;
                }
            }
            String value;
            if (at < 0) {
                value = option.absentValue();
            } else {
                rest.remove(at);
                if (!Parameter.UNSPECIFIED.equals(option.presentValue())) {
                    value = option.presentValue();
                } else if (at < rest.size()) {
                    value = rest.remove(at);
                } else {
                    return null; // an option without its value
                }
            }
            values[i] = parameters[i].getType() == boolean.class ? Boolean.valueOf(value) : value;
        }
        for (int i = 0; i < parameters.length; i++) {
            Class<?> type = parameters[i].getType();
            if (parameters[i].getAnnotation(Parameter.class) != null) {
                continue;
            } else if (type == CommandSession.class) {
                values[i] = session;
            } else if (type == String[].class && i == parameters.length - 1) {
                values[i] = rest.toArray(new String[0]);
                rest.clear();
            } else if (type == String.class && !rest.isEmpty()) {
                values[i] = rest.remove(0);
            } else {
                return null;
            }
        }
        return rest.isEmpty() ? values : null;
    }
}
