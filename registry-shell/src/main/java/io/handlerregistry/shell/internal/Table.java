package io.handlerregistry.shell.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the commands return for lists: named columns and rows of text. Gogo prints it as an aligned
 * table (its {@link #toString()}); scripts can read {@link #rows()}.
 */
public final class Table {
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
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, columns, widths);
        char[] rule = new char[Arrays.stream(widths).sum() + 2 * (widths.length - 1)];
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

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            line.append(cell);
            if (i < cells.size() - 1) {
                line.append(" ".repeat(widths[i] - cell.length() + 2));
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }
}
