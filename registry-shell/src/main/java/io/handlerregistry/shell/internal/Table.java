package io.handlerregistry.shell.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the commands return for lists: named columns and rows of text. Gogo prints it as an aligned
 * table at most {@value #WIDTH} columns wide, the last column wrapped (its {@link #toString()});
 * scripts can read {@link #rows()}.
 */
public final class Table {
    /** The widest a table prints: a console of 100 columns shows it without wrapping. */
    static final int WIDTH = 100;
    private static final int GAP = 2;
    private static final int MIN_LAST = 24;

    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... columns) {
        this.columns = List.of(columns);
    }

    /** Adds a row; cells are shown with {@code String.valueOf}, missing cells as "-". */
    public Table row(Object... cells) {
        List<String> row = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            Object cell = i < cells.length ? cells[i] : null;
            row.add(cell == null ? "-" : String.valueOf(cell));
        }
        rows.add(List.copyOf(row));
        return this;
    }

    public List<String> columns() {
        return columns;
    }

    public List<List<String>> rows() {
        return List.copyOf(rows);
    }

    @Override
    public String toString() {
        int[] widths = widths();
        StringBuilder out = new StringBuilder();
        line(out, columns, widths);
        char[] rule = new char[Math.min(WIDTH, Arrays.stream(widths).sum() + GAP * (widths.length - 1))];
        Arrays.fill(rule, '-');
        out.append(rule).append('\n');
        for (List<String> row : rows) {
            line(out, row, widths);
        }
        if (rows.isEmpty()) {
            out.append("(none)\n");
        }
        return out.toString();
    }

    /**
     * Each column as wide as its widest cell; if that makes the table wider than {@value #WIDTH}
     * columns, the last column (the long text: detail, source) gets what is left and wraps.
     */
    private int[] widths() {
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        int last = widths.length - 1;
        int others = Arrays.stream(widths).sum() - widths[last] + GAP * last;
        if (others + widths[last] > WIDTH) {
            widths[last] = Math.max(MIN_LAST, WIDTH - others);
        }
        return widths;
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        int last = cells.size() - 1;
        List<String> wrapped = wrap(cells.get(last), widths[last]);
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < last; i++) {
            String cell = cells.get(i);
            line.append(cell).append(" ".repeat(Math.max(GAP, widths[i] - cell.length() + GAP)));
        }
        int indent = line.length();
        out.append((line + wrapped.get(0)).stripTrailing()).append('\n');
        for (String more : wrapped.subList(1, wrapped.size())) {
            out.append(" ".repeat(indent)).append(more).append('\n');
        }
    }

    /** A cell's text in lines of at most {@code width}, broken at spaces where it can be. */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        String rest = text;
        while (rest.length() > width) {
            int cut = rest.lastIndexOf(' ', width);
            if (cut <= 0) {
                cut = width;
            }
            lines.add(rest.substring(0, cut).stripTrailing());
            rest = rest.substring(cut).stripLeading();
        }
        lines.add(rest);
        return lines;
    }
}
