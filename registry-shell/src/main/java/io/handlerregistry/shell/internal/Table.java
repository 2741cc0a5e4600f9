package io.handlerregistry.shell.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the commands return for lists: named columns and rows of text. Gogo prints it with
 * {@link #toString()}, laid out for its {@link Screen}:
 * <ul>
 * <li>on a terminal, an aligned table that fits its width: cells wrap at spaces inside their
 * column (the widest columns give way first), never inside a word; columns that cannot fit even
 * so go, from the last one, onto lines of their own under each row ("  source: ...");</li>
 * <li>elsewhere (a pipe, a file, a script), the same table with each row whole on one line;</li>
 * <li>with {@code --no-format}, the rows alone, cells separated by tabs, as Karaf's tables do.</li>
 * </ul>
 * Scripts can also read {@link #rows()}.
 */
public final class Table {
    private static final int GAP = 2;
    private static final String INDENT = "  ";

    private final Screen screen;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table laid out for {@code screen}. */
    public Table(Screen screen, String... columns) {
        this.screen = screen;
        this.columns = List.of(columns);
    }

    /** A table whose rows stay whole (no terminal). */
    public Table(String... columns) {
        this(Screen.WHOLE_ROWS, columns);
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

    /** The table as its screen shows it, lines ended by newlines but the last (shells add one). */
    @Override
    public String toString() {
        String text = text();
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    private String text() {
        if (!screen.format()) {
            StringBuilder out = new StringBuilder();
            rows.forEach(row -> out.append(String.join("\t", row)).append('\n'));
            return out.toString();
        }
        Layout layout = new Layout(screen.width());
        StringBuilder out = new StringBuilder();
        layout.line(out, columns);
        char[] rule = new char[layout.tableWidth()];
        Arrays.fill(rule, '-');
        out.append(rule).append('\n');
        for (List<String> row : rows) {
            layout.line(out, row);
            layout.moved(out, row);
        }
        if (rows.isEmpty()) {
            out.append("(none)\n");
        }
        return out.toString();
    }

    /** How wide each column is, and which columns go under their row, for a width (0: any). */
    private final class Layout {
        final int width;
        final int[] widths;
        final int shown; // the columns laid out side by side; the others go under each row

        Layout(int width) {
            this.width = width;
            int n = columns.size();
            int[] natural = new int[n];
            int[] least = new int[n];
            for (int i = 0; i < n; i++) {
                natural[i] = columns.get(i).length();
                least[i] = longestWord(columns.get(i));
                for (List<String> row : rows) {
                    natural[i] = Math.max(natural[i], row.get(i).length());
                    least[i] = Math.max(least[i], longestWord(row.get(i)));
                }
            }
            int k = n;
            if (width > 0) {
                while (k > 1 && sum(least, k) + GAP * (k - 1) > width) {
                    k--; // even with every word on a line of its own, this column does not fit
                }
            }
            shown = k;
            widths = Arrays.copyOf(natural, k);
            if (width > 0) {
                // the widest column that can still give way gives a column, until the table fits
                while (sum(widths, k) + GAP * (k - 1) > width) {
                    int widest = -1;
                    for (int i = 0; i < k; i++) {
                        if (widths[i] > least[i] && (widest < 0 || widths[i] > widths[widest])) {
                            widest = i;
                        }
                    }
                    if (widest < 0) {
                        break; // one column with a word wider than the terminal: the word stays whole
                    }
                    widths[widest]--;
                }
            }
        }

        int tableWidth() {
            int all = sum(widths, shown) + GAP * (shown - 1);
            return width > 0 ? Math.min(width, all) : all;
        }

        /** The shown cells of a row (or the header), each wrapped inside its column. */
        void line(StringBuilder out, List<String> cells) {
            List<List<String>> wrapped = new ArrayList<>();
            int lines = 1;
            for (int i = 0; i < shown; i++) {
                List<String> cell = width > 0 ? wrap(cells.get(i), widths[i]) : List.of(cells.get(i));
                wrapped.add(cell);
                lines = Math.max(lines, cell.size());
            }
            for (int l = 0; l < lines; l++) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < shown; i++) {
                    List<String> cell = wrapped.get(i);
                    String part = l < cell.size() ? cell.get(l) : "";
                    line.append(part);
                    if (i < shown - 1) {
                        line.append(" ".repeat(Math.max(0, widths[i] - part.length()) + GAP));
                    }
                }
                out.append(line.toString().stripTrailing()).append('\n');
            }
        }

        /**
         * The cells that do not fit beside the others, each under the row: "  source: text", wrapped
         * under its start, or from the next line on when its first word would not fit there.
         */
        void moved(StringBuilder out, List<String> cells) {
            for (int i = shown; i < columns.size(); i++) {
                String head = INDENT + columns.get(i) + ":";
                String cell = cells.get(i);
                int indent = head.length() + 1;
                if (indent + longestWord(cell.split(" ", 2)[0]) > width) {
                    out.append(head).append('\n');
                    indent = INDENT.length() * 2;
                    head = " ".repeat(indent - 1);
                }
                List<String> lines = wrap(cell, Math.max(1, width - indent));
                out.append(head).append(' ').append(lines.get(0)).append('\n');
                for (String more : lines.subList(1, lines.size())) {
                    out.append(" ".repeat(indent)).append(more).append('\n');
                }
            }
        }
    }

    /**
     * A text in lines of at most {@code width}, broken at spaces only: a word longer than that stays
     * whole on a line of its own.
     */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split(" +")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() == 0 ? "" : " ").append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    private static int longestWord(String text) {
        int longest = 0;
        for (String word : text.split(" ")) {
            longest = Math.max(longest, word.length());
        }
        return longest;
    }

    private static int sum(int[] values, int count) {
        int sum = 0;
        for (int i = 0; i < count; i++) {
            sum += values[i];
        }
        return sum;
    }
}
