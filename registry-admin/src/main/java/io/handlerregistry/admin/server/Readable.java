package io.handlerregistry.admin.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.handlerregistry.admin.api.AdminFront.Family;
import io.handlerregistry.admin.api.AdminFront.Sample;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;

/**
 * The samples of a scrape as {@link Family} values, named as the text format names them: the numbers of
 * {@code /metrics} for the shell. Histogram buckets are cumulative, as in the text format.
 */
final class Readable {
    private Readable() {
    }

    static List<Family> of(MetricSnapshots snapshots) {
        List<Family> families = new ArrayList<>();
        for (MetricSnapshot s : snapshots) {
            String name = s.getMetadata().getPrometheusName();
            List<Sample> samples = new ArrayList<>();
            String type;
            if (s instanceof CounterSnapshot) {
                type = "counter";
                for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) s).getDataPoints()) {
                    samples.add(new Sample(name + "_total", labels(p, null, null), p.getValue()));
                }
            } else if (s instanceof GaugeSnapshot) {
                type = "gauge";
                for (GaugeSnapshot.GaugeDataPointSnapshot p : ((GaugeSnapshot) s).getDataPoints()) {
                    samples.add(new Sample(name, labels(p, null, null), p.getValue()));
                }
            } else if (s instanceof InfoSnapshot) {
                type = "info";
                for (InfoSnapshot.InfoDataPointSnapshot p : ((InfoSnapshot) s).getDataPoints()) {
                    samples.add(new Sample(name + "_info", labels(p, null, null), 1));
                }
            } else if (s instanceof HistogramSnapshot) {
                type = "histogram";
                for (HistogramSnapshot.HistogramDataPointSnapshot p : ((HistogramSnapshot) s).getDataPoints()) {
                    long cumulative = 0;
                    for (ClassicHistogramBucket b : p.getClassicBuckets()) {
                        cumulative += b.getCount();
                        samples.add(new Sample(name + "_bucket", labels(p, "le", le(b.getUpperBound())), cumulative));
                    }
                    samples.add(new Sample(name + "_count", labels(p, null, null), p.getCount()));
                    if (p.hasSum()) {
                        samples.add(new Sample(name + "_sum", labels(p, null, null), p.getSum()));
                    }
                }
            } else if (s instanceof SummarySnapshot) {
                type = "summary";
                for (SummarySnapshot.SummaryDataPointSnapshot p : ((SummarySnapshot) s).getDataPoints()) {
                    samples.add(new Sample(name + "_count", labels(p, null, null), p.getCount()));
                    if (p.hasSum()) {
                        samples.add(new Sample(name + "_sum", labels(p, null, null), p.getSum()));
                    }
                }
            } else {
                type = "unknown";
            }
            families.add(new Family(name, type, s.getMetadata().getHelp(), samples));
        }
        return families;
    }

    private static Map<String, String> labels(DataPointSnapshot point, String extraName, String extraValue) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (Label l : point.getLabels()) {
            if (!l.getValue().isEmpty()) { // to Prometheus, a label with an empty value is none
                labels.put(l.getName(), l.getValue());
            }
        }
        if (extraName != null) {
            labels.put(extraName, extraValue);
        }
        return labels;
    }

    private static String le(double bound) {
        return bound == Double.POSITIVE_INFINITY ? "+Inf" : Double.toString(bound);
    }
}
