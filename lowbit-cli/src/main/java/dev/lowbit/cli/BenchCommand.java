package dev.lowbit.cli;

import picocli.CommandLine.Command;

/** {@code lowbit bench …}: end-to-end benchmarks (one JSON object each). */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {BenchEmbedCommand.class},
        description = {"End-to-end benchmarks; each prints one JSON object."},
        footer = {"", "Examples:", "  ./lowbit bench embed --batch 32 --seq 128 --threads 2"})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
