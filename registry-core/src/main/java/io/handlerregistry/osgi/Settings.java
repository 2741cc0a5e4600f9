package io.handlerregistry.osgi;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import io.handlerregistry.api.HandlerRegistry;

/**
 * The settings of one configuration PID, each checked against its metatype definition (the
 * {@code OSGI-INF/metatype/<pid>.xml} that bnd writes from the configuration's annotation): its type,
 * its minimum and maximum, its options, and a component's own checks (a directory, a list). A value
 * that does not pass is one log line naming the PID, the key, the value and why, and the value in
 * force before stays: the configuration's other keys still apply. The values are read here, not
 * through a component property type, whose coercion would fail the whole component with a stack
 * trace ({@code abc} for a number) or change a value silently ({@code yes} for a boolean is false, a
 * long over an int's range wraps).
 *
 * <p>Where the values come from: the configuration (Config Admin, e.g. a {@code conf/<pid>.cfg} file)
 * when there is one; else the framework properties {@code <pid>.<key>}; else the defaults of the
 * metatype definition.
 */
public final class Settings {
    private static final Logger LOG = System.getLogger(HandlerRegistry.class.getName());
    /**
     * What was in force last, per PID: the deploy folder's component is created anew for a changed
     * configuration, and keeps the value before a refused one too.
     */
    private static final Map<String, Values> IN_FORCE = new ConcurrentHashMap<>();
    /** Keys that management agents and frameworks add to configurations: not settings, and no typo. */
    private static final List<String> NOT_SETTINGS = List.of("service.", "component.", "felix.", "osgi.", "org.",
            "karaf.", ".");

    private final String pid;
    private final BundleContext context;
    private final Map<String, Definition> definitions;

    /**
     * @param pid     the configuration PID, also the prefix of the fallback framework properties
     * @param context the context of the bundle whose metatype defines the PID
     */
    public Settings(String pid, BundleContext context) {
        this.pid = pid;
        this.context = context;
        URL metatype = context.getBundle().getEntry("OSGI-INF/metatype/" + pid + ".xml");
        if (metatype == null) {
            throw new IllegalStateException("no metatype for " + pid + " in OSGI-INF/metatype/" + pid + ".xml");
        }
        this.definitions = Definition.read(pid, metatype);
    }

    /** A check of a component's own beyond the metatype's. */
    @FunctionalInterface
    public interface Check {
        /**
         * @param value the value, already of its metatype type
         * @return null when the value is fine, else why it is refused (what is wanted)
         */
        String problem(Object value);
    }

    /**
     * A directory setting: a path that is not a file. Empty is fine (it means the default). With
     * {@code mustExist}, the directory must be there too; relative paths start from the working
     * directory.
     */
    public static Check directory(boolean mustExist) {
        return value -> {
            String text = (String) value;
            if (text.isEmpty()) {
                return null;
            }
            Path path;
            try {
                path = Path.of(text).toAbsolutePath();
            } catch (InvalidPathException e) {
                return "it is no path (" + e.getReason() + ")";
            }
            if (Files.exists(path) && !Files.isDirectory(path)) {
                return "it is a file, not a directory";
            }
            if (mustExist && !Files.isDirectory(path)) {
                return "there is no directory " + path;
            }
            return null;
        };
    }

    /** The framework property a key falls back to. */
    private String frameworkProperty(String key) {
        return pid + "." + key;
    }

    /**
     * The settings in force for a configuration: every key's value when it passes its checks, else
     * the value in force before (the default, the first time).
     *
     * @param properties the component's properties as DS passed them
     * @param checks     the component's own checks, by key
     */
    public Values resolve(Map<String, ?> properties, Map<String, Check> checks) {
        boolean configured = properties.containsKey(Constants.SERVICE_PID);
        Values before = IN_FORCE.get(pid);
        Map<String, Object> values = new LinkedHashMap<>();
        for (Definition d : definitions.values()) {
            Object raw = configured ? properties.get(d.id) : fallback(d.id);
            Object previous = before == null ? d.defaultValue : before.values.get(d.id);
            if (raw == null) {
                values.put(d.id, d.defaultValue); // not set, or no longer: the default
                continue;
            }
            String problem;
            Object value = null;
            try {
                value = d.parse(raw);
                Check check = checks.get(d.id);
                problem = check == null ? null : check.problem(value);
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
            if (problem != null) {
                LOG.log(Level.WARNING, "{0}={1} is refused: {2}; {3} stays {4}",
                        configured ? pid + ": " + d.id : "framework property " + frameworkProperty(d.id),
                        shown(raw), problem, d.id, shown(previous));
                value = previous;
            }
            values.put(d.id, value);
        }
        if (configured) {
            warnUnknownKeys(properties.keySet());
        }
        Values resolved = new Values(values);
        IN_FORCE.put(pid, resolved);
        return resolved;
    }

    private String fallback(String key) {
        String value = context.getProperty(frameworkProperty(key));
        return value == null || value.isBlank() ? null : value;
    }

    private void warnUnknownKeys(Collection<String> keys) {
        for (String key : new TreeSet<>(keys)) {
            if (definitions.containsKey(key) || NOT_SETTINGS.stream().anyMatch(key::startsWith)) {
                continue;
            }
            String closest = null;
            int distance = 3; // a typo: at most 2 edits
            for (String known : definitions.keySet()) {
                int d = editDistance(key, known);
                if (d < distance) {
                    distance = d;
                    closest = known;
                }
            }
            LOG.log(Level.WARNING, "{0}: {1} is no setting and is ignored{2}", pid, key,
                    closest == null ? " (config:meta " + pid + " or the metatype lists the settings)"
                            : "; did you mean " + closest + "?");
        }
    }

    private static int editDistance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1),
                        diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /** A value as it appears in a log line. */
    private static String shown(Object value) {
        if (value != null && value.getClass().isArray()) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(Array.get(value, i));
            }
            return items.toString();
        }
        String text = String.valueOf(value);
        return text.isEmpty() ? "empty" : text;
    }

    /** The values in force of one PID, of their metatype types. */
    public static final class Values {
        private final Map<String, Object> values;

        Values(Map<String, Object> values) {
            this.values = Collections.unmodifiableMap(values);
        }

        public String string(String key) {
            return (String) get(key);
        }

        /** A Long or Integer setting. */
        public long number(String key) {
            return ((Number) get(key)).longValue();
        }

        /** An Integer setting. */
        public int integer(String key) {
            return (Integer) get(key);
        }

        public boolean flag(String key) {
            return (Boolean) get(key);
        }

        private Object get(String key) {
            if (!values.containsKey(key)) {
                throw new IllegalArgumentException("no setting " + key);
            }
            return values.get(key);
        }

        @Override
        public String toString() {
            return values.toString();
        }
    }

    /** One attribute definition of the metatype: a key, its type, range, options and default. */
    private static final class Definition {
        final String id;
        final String type;
        final BigDecimal min;
        final BigDecimal max;
        final List<String> options;
        final Object defaultValue;

        private Definition(Element ad) {
            id = ad.getAttribute("id");
            type = ad.getAttribute("type");
            BigDecimal[] range = typeRange(type);
            min = ad.hasAttribute("min") ? new BigDecimal(ad.getAttribute("min")) : range[0];
            max = ad.hasAttribute("max") ? new BigDecimal(ad.getAttribute("max")) : range[1];
            List<String> values = new ArrayList<>();
            NodeList list = ad.getElementsByTagName("Option");
            for (int i = 0; i < list.getLength(); i++) {
                values.add(((Element) list.item(i)).getAttribute("value"));
            }
            options = List.copyOf(values);
            defaultValue = parse(ad.getAttribute("default"));
        }

        static Map<String, Definition> read(String pid, URL metatype) {
            try (InputStream in = metatype.openStream()) {
                DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
                factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
                Element root = factory.newDocumentBuilder().parse(in).getDocumentElement();
                Map<String, Definition> definitions = new LinkedHashMap<>();
                NodeList ocds = root.getElementsByTagName("OCD");
                for (int i = 0; i < ocds.getLength(); i++) {
                    Element ocd = (Element) ocds.item(i);
                    if (pid.equals(ocd.getAttribute("id"))) {
                        NodeList ads = ocd.getElementsByTagName("AD");
                        for (int j = 0; j < ads.getLength(); j++) {
                            Definition d = new Definition((Element) ads.item(j));
                            definitions.put(d.id, d);
                        }
                    }
                }
                if (definitions.isEmpty()) {
                    throw new IllegalStateException("the metatype " + metatype + " defines no attribute of " + pid);
                }
                return definitions;
            } catch (IOException | ParserConfigurationException | SAXException e) {
                throw new IllegalStateException("cannot read the metatype of " + pid + " from " + metatype, e);
            }
        }

        private static BigDecimal[] typeRange(String type) {
            switch (type) {
                case "Integer":
                    return new BigDecimal[] {BigDecimal.valueOf(Integer.MIN_VALUE), BigDecimal.valueOf(Integer.MAX_VALUE)};
                case "Long":
                    return new BigDecimal[] {BigDecimal.valueOf(Long.MIN_VALUE), BigDecimal.valueOf(Long.MAX_VALUE)};
                default:
                    return new BigDecimal[] {null, null};
            }
        }

        /** The value of this definition's type, or IllegalArgumentException saying what is wanted. */
        Object parse(Object raw) {
            Object value = single(raw);
            switch (type) {
                case "Integer":
                    return number(value).intValueExact();
                case "Long":
                    return number(value).longValueExact();
                case "Boolean":
                    return flag(value);
                case "String":
                    return text(value);
                default:
                    throw new IllegalStateException("settings of type " + type + " are not supported (" + id + ")");
            }
        }

        private static Object single(Object raw) {
            if (raw.getClass().isArray() || raw instanceof Collection) {
                int size = raw instanceof Collection ? ((Collection<?>) raw).size() : Array.getLength(raw);
                if (size != 1) {
                    throw new IllegalArgumentException("it needs one value, not a list of " + size);
                }
                return raw instanceof Collection ? ((Collection<?>) raw).iterator().next() : Array.get(raw, 0);
            }
            return raw;
        }

        private BigDecimal number(Object value) {
            BigDecimal number;
            try {
                number = value instanceof Number ? new BigDecimal(value.toString())
                        : new BigDecimal(value.toString().strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("it needs " + wanted());
            }
            if (number.stripTrailingZeros().scale() > 0 || number.compareTo(min) < 0 || number.compareTo(max) > 0) {
                throw new IllegalArgumentException("it needs " + wanted());
            }
            return number;
        }

        /** "a whole number of at least 0", "a whole number from 1 to 64". */
        private String wanted() {
            BigDecimal[] range = typeRange(type);
            if (max.equals(range[1])) {
                return min.equals(range[0]) ? "a whole number" : "a whole number of at least " + min;
            }
            return "a whole number from " + min + " to " + max;
        }

        private static boolean flag(Object value) {
            if (value instanceof Boolean) {
                return (Boolean) value;
            }
            String text = value.toString().strip().toLowerCase(Locale.ROOT);
            if (text.equals("true") || text.equals("false")) {
                return text.equals("true");
            }
            throw new IllegalArgumentException("it needs true or false");
        }

        private String text(Object value) {
            String text = value.toString().strip();
            if (options.isEmpty()) {
                return text;
            }
            for (String option : options) {
                if (option.equalsIgnoreCase(text)) {
                    return option;
                }
            }
            throw new IllegalArgumentException("it needs " + String.join(" or ", options));
        }
    }
}
