package dev.lowbit.spark;

import dev.lowbit.LowbitException;
import java.io.PrintWriter;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./lowbit spark embed|sweep …} (and {@code spark-submit --class dev.lowbit.spark.SparkCli lowbit-spark.jar …}).
 * Without {@code --master} the job runs {@code local[*]} inside this JVM, unless {@code spark-submit} already set
 * {@code spark.master}. Errors: one line starting with {@code lowbit: } on stderr, exit 2 for bad input, 1 for a
 * failed job; a stack trace only with {@code --debug}.
 */
@Command(name = "lowbit spark", mixinStandardHelpOptions = true,
        description = {"lowbit on Apache Spark: embed a corpus, or run a training study as one Spark task per cell.", ""},
        subcommands = {EmbedJob.class, SweepJob.class},
        footer = {"", "Examples:", "  ./lowbit spark embed --in sentences.txt --out emb.parquet --precision int8",
            "  ./lowbit spark sweep --task kjv-gpt --policies fp32,imunpack:31 --seeds 7,8 --steps 200 --out study/",
            "", "docs/spark.md: clusters, spark-submit, PySpark, measurements."})
public final class SparkCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        quietLogs();
        int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** Spark logs only errors unless a log4j2 configuration is given (spark-submit's conf/, or -Dlog4j2.configurationFile). */
    static void quietLogs() {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "dev/lowbit/spark/log4j2-quiet.properties");
        }
    }

    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SparkCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setUsageHelpWidth(110);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("lowbit: " + LowbitException.oneLine(ex.getMessage()) + " (see './lowbit spark "
                    + ex.getCommandLine().getCommandName().replace("lowbit spark", "") + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            boolean debug = parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--debug"));
            LowbitException user = userError(ex);
            if (user != null) {
                err.println("lowbit: " + LowbitException.oneLine(user.getMessage()));
            } else {
                err.println("lowbit: spark job failed: " + LowbitException.oneLine(rootMessage(ex))
                        + (debug ? "" : " (run with --debug for details)"));
            }
            if (debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return user != null ? 2 : 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** A {@link LowbitException} anywhere in the cause chain (executors' errors arrive wrapped in SparkExceptions). */
    static LowbitException userError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof LowbitException l) {
                return l;
            }
        }
        // an executor's LowbitException arrives as text inside the SparkException's message
        String m = String.valueOf(t.getMessage());
        int i = m.indexOf("dev.lowbit.LowbitException: ");
        if (i >= 0) {
            String rest = m.substring(i + "dev.lowbit.LowbitException: ".length());
            int nl = rest.indexOf('\n');
            return new LowbitException(nl < 0 ? rest : rest.substring(0, nl));
        }
        return null;
    }

    static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /**
     * The session of a job: {@code master} when given, else spark-submit's {@code spark.master}, else {@code local[*]}
     * in this JVM. The UI is off unless asked for ({@code spark.ui.enabled}).
     */
    static SparkSession session(String master, String appName) {
        SparkConf conf = new SparkConf();
        String m = master != null ? master.strip() : conf.contains("spark.master") ? conf.get("spark.master") : "local[*]";
        if (m.isEmpty()) {
            throw new LowbitException("--master must not be empty (local[*], local[N] or spark://host:port)");
        }
        if (m.toLowerCase(Locale.ROOT).startsWith("local") && !m.matches("local(\\[(\\*|[1-9][0-9]*)(,[0-9]+)?])?")) {
            throw new LowbitException("--master '" + m + "' is not local, local[N], local[*] or local[N,retries]");
        }
        conf.setMaster(m).setAppName(appName);
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** Distinct executor ids that ran tasks, or 1 in local mode (the driver is the one executor). */
    static int executors(SparkSession s) {
        return Math.max(1, s.sparkContext().statusTracker().getExecutorInfos().length - (s.sparkContext().isLocal() ? 0 : 1));
    }
}
