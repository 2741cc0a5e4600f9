package io.handlerregistry.admin.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text format 0.0.4 and of OpenMetrics 1.0 text, for tests: it refuses
 * (IllegalArgumentException naming the line) what the formats do not allow and what Prometheus would
 * reject: a malformed name, label or value, a sample of a family that has no TYPE or whose name does not
 * fit its type, a family split in two, a series twice, histogram buckets that are not cumulative or whose
 * +Inf bucket is not the count, and in OpenMetrics a missing {@code # EOF} or anything after it.
 */
final class MetricsParser {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES_TEXT = Set.of("counter", "gauge", "histogram", "summary", "untyped");
    private static final Set<String> TYPES_OM = Set.of("counter", "gauge", "histogram", "gaugehistogram",
            "stateset", "info", "summary", "unknown");

    /** One sample. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    /** What a scrape held: families by name with their type, and every sample. */
    record Scrape(Map<String, String> types, List<Sample> samples) {
        /** The value of the one sample with this name and these labels (others may be there), or NaN. */
        double value(String name, String... labels) {
            Map<String, String> wanted = new HashMap<>();
            for (int i = 0; i < labels.length; i += 2) {
                wanted.put(labels[i], labels[i + 1]);
            }
            List<Sample> found = new ArrayList<>();
            for (Sample s : samples) {
                if (s.name.equals(name) && s.labels.equals(wanted)) {
                    found.add(s);
                }
            }
            if (found.size() > 1) {
                throw new AssertionError("several samples " + name + wanted);
            }
            return found.isEmpty() ? Double.NaN : found.get(0).value;
        }

        /** Every sample of a name. */
        List<Sample> all(String name) {
            List<Sample> found = new ArrayList<>();
            for (Sample s : samples) {
                if (s.name.equals(name)) {
                    found.add(s);
                }
            }
            return found;
        }
    }

    private MetricsParser() {
    }

    static Scrape parse(String text, boolean openMetrics) {
        Map<String, String> types = new LinkedHashMap<>();
        List<Sample> samples = new ArrayList<>();
        Set<String> finished = new HashSet<>();
        Set<String> series = new HashSet<>();
        String current = null;
        String[] lines = text.split("\n", -1);
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("the text does not end with a line break");
        }
        boolean eof = false;
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + " '" + line + "': ";
            if (eof) {
                throw new IllegalArgumentException(where + "after # EOF");
            }
            if (line.isEmpty()) {
                if (openMetrics) {
                    throw new IllegalArgumentException(where + "empty line in OpenMetrics");
                }
                continue;
            }
            if (line.startsWith("#")) {
                if (openMetrics && line.equals("# EOF")) {
                    eof = true;
                    continue;
                }
                String[] parts = line.split(" ", 4);
                if (parts.length < 3 || !parts[0].equals("#")) {
                    if (openMetrics) {
                        throw new IllegalArgumentException(where + "not a HELP, TYPE or UNIT line");
                    }
                    continue; // a comment
                }
                String family = parts[2];
                if (!NAME.matcher(family).matches()) {
                    throw new IllegalArgumentException(where + "bad metric name");
                }
                switch (parts[1]) {
                    case "TYPE":
                        if (parts.length != 4 || !(openMetrics ? TYPES_OM : TYPES_TEXT).contains(parts[3])) {
                            throw new IllegalArgumentException(where + "bad type");
                        }
                        if (types.containsKey(family)) {
                            throw new IllegalArgumentException(where + "second TYPE of " + family);
                        }
                        if (openMetrics && parts[3].equals("counter") && family.endsWith("_total")) {
                            throw new IllegalArgumentException(where + "OpenMetrics counter family named _total");
                        }
                        types.put(family, parts[3]);
                        break;
                    case "HELP":
                    case "UNIT":
                        break;
                    default:
                        if (openMetrics) {
                            throw new IllegalArgumentException(where + "unknown # line");
                        }
                }
                if (!family.equals(current)) {
                    if (current != null) {
                        finished.add(current);
                    }
                    if (finished.contains(family)) {
                        throw new IllegalArgumentException(where + "family " + family + " split in two");
                    }
                    current = family;
                }
                continue;
            }
            Sample s = sample(line, where);
            String family = familyOf(s.name, types, openMetrics);
            if (family == null) {
                throw new IllegalArgumentException(where + "no TYPE for " + s.name);
            }
            if (!family.equals(current)) {
                throw new IllegalArgumentException(where + "sample of " + family + " outside its family block");
            }
            if (!series.add(s.name + new TreeMap<>(s.labels))) {
                throw new IllegalArgumentException(where + "series twice");
            }
            samples.add(s);
        }
        if (openMetrics && !eof) {
            throw new IllegalArgumentException("OpenMetrics text without # EOF");
        }
        Scrape scrape = new Scrape(types, samples);
        checkHistograms(scrape, openMetrics);
        return scrape;
    }

    /** The family a sample belongs to, by the suffixes its type allows. */
    private static String familyOf(String name, Map<String, String> types, boolean openMetrics) {
        if (types.containsKey(name)) {
            String type = types.get(name);
            boolean plainAllowed = type.equals("gauge") || type.equals("untyped") || type.equals("unknown")
                    || type.equals("stateset") || (!openMetrics && type.equals("counter"));
            return plainAllowed ? name : null;
        }
        for (String suffix : List.of("_total", "_created", "_bucket", "_count", "_sum", "_info", "_gcount", "_gsum")) {
            if (name.endsWith(suffix)) {
                String family = name.substring(0, name.length() - suffix.length());
                String type = types.get(family);
                if (type == null) {
                    continue;
                }
                boolean ok;
                switch (suffix) {
                    case "_total":
                        ok = type.equals("counter");
                        break;
                    case "_created":
                        ok = type.equals("counter") || type.equals("histogram") || type.equals("summary");
                        break;
                    case "_bucket":
                        ok = type.equals("histogram") || type.equals("gaugehistogram");
                        break;
                    case "_count":
                    case "_sum":
                        ok = type.equals("histogram") || type.equals("summary");
                        break;
                    case "_info":
                        ok = type.equals("info");
                        break;
                    default:
                        ok = type.equals("gaugehistogram");
                }
                if (ok) {
                    return family;
                }
            }
        }
        return null;
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + "bad metric name");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                if (eq < 0) {
                    throw new IllegalArgumentException(where + "label without =");
                }
                String label = line.substring(i, eq);
                if (!LABEL.matcher(label).matches() || label.startsWith("__")) {
                    throw new IllegalArgumentException(where + "bad label name '" + label + "'");
                }
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException(where + "label value not quoted");
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (;; j++) {
                    if (j >= line.length()) {
                        throw new IllegalArgumentException(where + "label value not closed");
                    }
                    char c = line.charAt(j);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        if (next == 'n') {
                            value.append('\n');
                        } else if (next == '\\' || next == '"') {
                            value.append(next);
                        } else {
                            throw new IllegalArgumentException(where + "bad escape \\" + next);
                        }
                    } else {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new IllegalArgumentException(where + "label " + label + " twice");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                } else if (line.charAt(i) != '}') {
                    throw new IllegalArgumentException(where + "expected , or }");
                }
            }
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new IllegalArgumentException(where + "no space before the value");
        }
        String[] rest = line.substring(i + 1).split(" ");
        if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
            throw new IllegalArgumentException(where + "expected a value and at most a timestamp");
        }
        return new Sample(name, labels, value(rest[0], where));
    }

    private static double value(String text, String where) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                if (!text.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
                    throw new IllegalArgumentException(where + "bad value '" + text + "'");
                }
                return Double.parseDouble(text);
        }
    }

    /** Buckets cumulative, ending with +Inf equal to the count. */
    private static void checkHistograms(Scrape scrape, boolean openMetrics) {
        scrape.types().forEach((family, type) -> {
            if (!type.equals("histogram")) {
                return;
            }
            Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
            for (Sample s : scrape.all(family + "_bucket")) {
                Map<String, String> series = new TreeMap<>(s.labels());
                String le = series.remove("le");
                if (le == null) {
                    throw new IllegalArgumentException(family + ": bucket without le");
                }
                buckets.computeIfAbsent(series, k -> new ArrayList<>()).add(s);
            }
            buckets.forEach((series, list) -> {
                double previousBound = Double.NEGATIVE_INFINITY;
                double previousCount = 0;
                for (Sample b : list) {
                    double bound = value(b.labels().get("le"), family + series + ": ");
                    if (bound <= previousBound || b.value() < previousCount) {
                        throw new IllegalArgumentException(family + series + ": buckets not in order or not"
                                + " cumulative at le=" + b.labels().get("le"));
                    }
                    previousBound = bound;
                    previousCount = b.value();
                }
                if (previousBound != Double.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException(family + series + ": no +Inf bucket");
                }
                double count = Double.NaN;
                for (Sample c : scrape.all(family + "_count")) {
                    if (new TreeMap<>(c.labels()).equals(series)) {
                        count = c.value();
                    }
                }
                boolean noSum = scrape.all(family + "_sum").stream()
                        .noneMatch(c -> new TreeMap<>(c.labels()).equals(series));
                if (Double.isNaN(count) && openMetrics && noSum) {
                    return; // OpenMetrics: count and sum come together, or neither (the +Inf bucket is the count)
                }
                if (count != previousCount) {
                    throw new IllegalArgumentException(family + series + ": +Inf bucket " + previousCount
                            + " is not the count " + count);
                }
            });
        });
    }
}
