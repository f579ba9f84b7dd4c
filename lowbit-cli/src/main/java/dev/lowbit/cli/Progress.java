package dev.lowbit.cli;

import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A one-line progress counter on stderr, shown only when stderr is a terminal (quiet in scripts, CI and
 * tests).
 */
final class Progress {
    private final PrintWriter err;
    private final String label;
    private final int total;
    private int done;
    private long started;

    private Progress(PrintWriter err, String label, int total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    static Progress stderr(CommandSpec spec, String label, int total) {
        boolean tty = System.console() != null && System.console().isTerminal();
        return new Progress(tty ? spec.commandLine().getErr() : null, label, total);
    }

    void step() {
        done++;
        if (err != null) {
            err.print("\r" + label + ": " + done + "/" + total);
            err.flush();
        }
    }

    /** Shows step {@code n} of the total with a status text and a rough ETA. */
    void stepTo(int n, String status) {
        done = n;
        if (err != null) {
            long now = System.nanoTime();
            if (started == 0) {
                started = now;
            }
            double elapsed = (now - started) / 1e9;
            double eta = n > 1 ? elapsed / (n - 1) * (total - n) : 0;
            err.print(String.format(Locale.ROOT, "\r%s: %d/%d  %s  ETA %.0fs   ", label, n, total, status, eta));
            err.flush();
        }
    }

    void done() {
        if (err != null) {
            err.print("\r" + " ".repeat(label.length() + 80) + "\r");
            err.flush();
        }
    }
}
