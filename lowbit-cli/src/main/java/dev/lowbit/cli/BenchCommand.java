package dev.lowbit.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code lowbit bench}: a parent for benchmark verbs, one subcommand per benchmark (add new ones to the
 * {@code subcommands} list). Benchmarks print one JSON object; they are measurements, never tests.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks, one JSON object on stdout each.",
            "Peers are measured in the same run: on a shared machine, repeat and compare ratios."},
        subcommands = {BenchGemmCommand.class, BenchEmbedCommand.class},
        footer = {"", "Examples:", "  ./lowbit bench gemm --shape 4096x1536x384 --threads 1",
            "  ./lowbit bench embed --batch 32 --seq 128 --threads 2"})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
