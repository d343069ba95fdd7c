package io.wssink.testing;

import java.util.ArrayList;
import java.util.List;

/** Reads samples out of Prometheus' text format, as a scraper would: {@code name{labels} value} lines. */
public final class PrometheusText {
    private PrometheusText() {
    }

    /** The sum of every sample named exactly {@code name} (over all its label sets); fails if there is none. */
    public static double sum(String scrape, String name) {
        List<Double> values = values(scrape, name, "");
        if (values.isEmpty()) {
            throw new AssertionError("no sample named " + name + " in:\n" + scrape);
        }
        return values.stream().mapToDouble(Double::doubleValue).sum();
    }

    /** The one sample named {@code name} whose labels contain {@code labelText} (e.g. {@code reason="expired"}). */
    public static double value(String scrape, String name, String labelText) {
        List<Double> values = values(scrape, name, labelText);
        if (values.size() != 1) {
            throw new AssertionError(values.size() + " samples named " + name + " with " + labelText + " in:\n" + scrape);
        }
        return values.get(0);
    }

    private static List<Double> values(String scrape, String name, String labelText) {
        List<Double> found = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            int labelsEnd = line.lastIndexOf('}');
            String labels = labelsEnd < 0 ? "" : line.substring(name.length(), labelsEnd + 1);
            if (!labels.contains(labelText)) {
                continue;
            }
            String rest = line.substring(labelsEnd < 0 ? name.length() : labelsEnd + 1).trim();
            found.add(Double.parseDouble(rest.split(" ")[0]));
        }
        return found;
    }
}
