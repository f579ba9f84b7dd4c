package dev.lowbit.cli;

import java.io.PrintWriter;
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

    void done() {
        if (err != null) {
            err.print("\r" + " ".repeat(label.length() + 24) + "\r");
            err.flush();
        }
    }
}
