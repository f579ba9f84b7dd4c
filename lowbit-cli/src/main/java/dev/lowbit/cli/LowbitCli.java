package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of {@code ./lowbit}. Each verb is a {@code *Command} registered in {@link #SUBCOMMANDS}.
 * Errors: one line on stderr starting with {@code lowbit: }; exit 2 for bad usage or input, 1 for an
 * internal failure; a stack trace only with {@code --debug}.
 */
@Command(name = "lowbit", mixinStandardHelpOptions = true, versionProvider = LowbitCli.Version.class,
        description = {"Arbitrarily-low-precision arithmetic for Transformers.",
            "Quantize, unpack, and run GEMMs exactly in low-bit integers (IM-Unpack) or in any number format.", ""},
        footer = {"", "Examples:", "  ./lowbit demo", "  ./lowbit unpack --lhs A.npy --rhs W.npy --bits 4 --strategy row --table",
            "", "Every verb has --help with an example. Data verbs print one JSON object on stdout."})
public final class LowbitCli implements Runnable {
    /** The verbs, in the order --help lists them. */
    static final Class<?>[] SUBCOMMANDS = {
        DemoCommand.class,
        UnpackCommand.class,
        EmbedCommand.class,
        SearchCommand.class,
        CompareCommand.class,
        MiniLmGemmCommand.class,
        TrainCommand.class,
        GenCommand.class,
        BenchCommand.class,
        QuantizeCommand.class,
        FormatsCommand.class,
    };

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (used by tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LowbitCli());
        for (Class<?> sub : SUBCOMMANDS) {
            cl.addSubcommand(sub);
        }
        TrainCommand.describePolicies(cl.getSubcommands().get("train"));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(110);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            String verb = c.getCommandSpec().qualifiedName(" ").replaceFirst("^lowbit ?", "");
            c.getErr().println("lowbit: " + oneLine(ex.getMessage()) + " (see './lowbit " + (verb.isEmpty() ? "" : verb + " ") + "--help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean debug = parseResult.hasMatchedOption("--debug")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--debug"));
            Throwable t = ex;
            if (t instanceof UncheckedIOException u) {
                t = new LowbitException(u.getCause().getMessage(), u);
            }
            if (t instanceof OutOfMemoryError) {
                t = new LowbitException("out of memory (raise it with JAVA_OPTS=-Xmx…)", t);
            }
            if (t instanceof LowbitException) {
                c.getErr().println("lowbit: " + oneLine(t.getMessage()));
            } else {
                c.getErr().println("lowbit: internal error: " + oneLine(String.valueOf(t)) + (debug ? "" : " (run with --debug for details)"));
            }
            if (debug) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return t instanceof LowbitException ? 2 : 1;
        });
        return cl;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Reads the version from the filtered resource. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = LowbitCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // fall through: unknown version
            }
            return new String[] {"lowbit " + p.getProperty("version", "unknown") + " (Java " + Runtime.version() + ", "
                    + System.getProperty("os.arch") + ")"};
        }
    }
}
