package dev.lowbit.spark;

import dev.lowbit.LowbitException;
import dev.lowbit.report.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./lowbit spark embed}: a corpus in, the same rows plus an {@code embedding} column out, as Parquet. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Embed a corpus with all-MiniLM-L6-v2 on Spark.",
            "Writes the rows plus 'embedding' (array<float>, 384) as Parquet. The embeddings are bit for bit those of './lowbit embed' in the same precision, whatever the",
            "partitioning. Prints one JSON object: rows, nullRows, seconds, sentencesPerSecond, executors, precision, …"},
        footer = {"", "Input (--in): .txt (one UTF-8 sentence per line; columns line (0-based) and text), .csv (with a header",
            "line; --column names the text column) or .parquet (a file or a directory of part files).",
            "Bad rows: empty text is embedded as the empty text ([CLS] [SEP]), text longer than 256 word pieces is",
            "truncated (as './lowbit embed' does), null text gets a null embedding; none of them fails the job.",
            "Output: written to a temporary directory beside --out and renamed when Spark has committed it, so a failed",
            "job leaves no partial Parquet. An existing --out is replaced only if it is a finished Spark output (_SUCCESS).",
            "", "Examples:", "  ./lowbit spark embed --in sentences.txt --out emb.parquet",
            "  ./lowbit spark embed --in corpus.parquet --column body --out emb.parquet --precision int8 --partitions 64",
            "  ./lowbit spark embed --in sentences.txt --out emb.parquet --master spark://host:7077"})
final class EmbedJob implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "sentences.{txt,csv,parquet}", description = "Input file or Parquet directory.")
    String in;

    @Option(names = "--column", defaultValue = "text", paramLabel = "NAME", description = "Text column of csv/parquet input (default: ${DEFAULT-VALUE}).")
    String column;

    @Option(names = "--out", required = true, paramLabel = "out.parquet", description = "Output Parquet directory.")
    String out;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P",
            description = "fp32, imunpack, int8, llm-int8, gptq-w4, fp8, mxfp8, mxfp4 or nvfp4 (as './lowbit embed'; default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--master", paramLabel = "URL", description = "local[*] (default: in this JVM), local[N] or spark://host:7077.")
    String master;

    @Option(names = "--partitions", paramLabel = "N",
            description = "Split the input into N partitions (.txt: at least N; default: spark.default.parallelism, the cores).")
    Integer partitions;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "B", description = "Sentences per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads-per-task", defaultValue = "0", paramLabel = "T",
            description = "Worker threads per Spark task (default: spark.task.cpus, so that tasks × threads = executor cores).")
    int threadsPerTask;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    @Override
    public Integer call() throws IOException {
        if (partitions != null && partitions < 1) {
            throw new LowbitException("--partitions must be >= 1, got " + partitions);
        }
        EmbedOptions options = EmbedOptions.of(precision).withBatch(batch).withThreadsPerTask(threadsPerTask);
        Format format = Format.of(in);
        checkLocalInput(in);
        long t0 = System.nanoTime();
        SparkSession spark = SparkCli.session(master, "lowbit spark embed");
        try {
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            FileSystem fs = new Path(out).getFileSystem(spark.sparkContext().hadoopConfiguration());
            Path target = fs.makeQualified(new Path(out));
            if (fs.exists(target) && !fs.exists(new Path(target, "_SUCCESS"))) {
                throw new LowbitException("--out " + out + " exists and is not a finished Spark output; remove it or choose another");
            }
            long t1 = System.nanoTime();
            // without --partitions, at least one partition per core of the cluster (a small file reads as one)
            int want = partitions != null ? partitions : spark.sparkContext().defaultParallelism();
            Dataset<Row> df = read(spark, format, in, want);
            String text = format == Format.TXT ? "text" : column;
            LowbitSpark.columnIndex(df.schema(), text); // a one-line error before any task runs
            if (format != Format.TXT && (partitions != null || df.rdd().getNumPartitions() < want)) {
                df = df.repartition(want);
            }
            int parts = df.rdd().getNumPartitions();
            LowbitSpark.Metrics metrics = LowbitSpark.Metrics.register(spark);
            Dataset<Row> embedded = LowbitSpark.embed(df, text, options, metrics);
            Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
            try {
                embedded.write().parquet(tmp.toString());
                replace(fs, tmp, target);
            } finally {
                fs.delete(tmp, true);
            }
            double seconds = (System.nanoTime() - t1) / 1e9;
            Dataset<Row> written = spark.read().parquet(target.toString().replaceAll("([\\[\\]{}*?\\\\])", "\\\\$1")); // no glob
            long rows = written.count();
            long nulls = written.filter(functions.col(options.outputColumn()).isNull()).count();
            Json j = Json.object().put("rows", rows).put("nullRows", nulls).put("seconds", round(seconds))
                    .put("sentencesPerSecond", round(seconds > 0 ? rows / seconds : 0)).put("executors", metrics.executors())
                    .put("precision", options.label()).put("backend", metrics.backends()).put("partitions", parts).put("batch", batch)
                    .put("master", spark.sparkContext().master()).put("in", in).put("out", target.toString())
                    .put("modelLoadSeconds", round(metrics.loadSeconds())).put("sparkStartSeconds", round(startSeconds));
            PrintWriter pw = spec.commandLine().getOut();
            pw.println(j);
            pw.flush();
            return 0;
        } finally {
            spark.stop();
        }
    }

    enum Format {
        TXT, CSV, PARQUET;

        static Format of(String path) {
            String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
            if (p.endsWith(".txt")) {
                return TXT;
            }
            if (p.endsWith(".csv")) {
                return CSV;
            }
            if (p.endsWith(".parquet") || java.nio.file.Files.isDirectory(java.nio.file.Path.of(path))) {
                return PARQUET;
            }
            throw new LowbitException("--in " + path + ": unknown format (name it .txt, .csv or .parquet)");
        }
    }

    /** A local path (no scheme, or file:) must exist: a one-line error instead of Spark's AnalysisException. */
    static void checkLocalInput(String path) {
        if (path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !path.startsWith("file:")) {
            return; // hdfs://, s3a://, …: Spark checks it
        }
        java.nio.file.Path p = java.nio.file.Path.of(path.replaceFirst("^file:(//)?", ""));
        if (!java.nio.file.Files.exists(p)) {
            throw new LowbitException("cannot read " + path + ": no such file");
        }
        if (!java.nio.file.Files.isReadable(p)) {
            throw new LowbitException("cannot read " + path + ": permission denied");
        }
        try {
            if (java.nio.file.Files.isRegularFile(p) && java.nio.file.Files.size(p) == 0) {
                throw new LowbitException(path + ": no sentences (the file is empty)");
            }
        } catch (IOException e) {
            throw new LowbitException("cannot read " + path + ": " + e.getMessage());
        }
    }

    /** The input as rows; text files get (line, text) with the line number of each sentence, 0-based. */
    static Dataset<Row> read(SparkSession spark, Format f, String path, int partitions) {
        return switch (f) {
            case PARQUET -> spark.read().parquet(path);
            case CSV -> spark.read().option("header", "true").option("multiLine", "true").csv(path);
            case TXT -> {
                // split by byte ranges into (at least) `partitions` parts, no shuffle; zipWithIndex numbers the lines in order
                StructType schema = new StructType().add("line", DataTypes.LongType, false).add("text", DataTypes.StringType, true);
                var lines = new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext()).textFile(path, partitions);
                var rdd = lines.zipWithIndex().map(t -> {
                    String s = t._1();
                    if (t._2() == 0 && s.startsWith("\uFEFF")) {
                        s = s.substring(1); // a UTF-8 byte order mark, as ./lowbit embed drops it
                    }
                    return RowFactory.create(t._2(), s);
                });
                yield spark.createDataFrame(rdd, schema);
            }
        };
    }

    /** Moves the committed output {@code tmp} to {@code target}, replacing a finished earlier output there. */
    static void replace(FileSystem fs, Path tmp, Path target) throws IOException {
        if (!fs.exists(new Path(tmp, "_SUCCESS"))) {
            throw new LowbitException("Spark did not commit the output (no _SUCCESS); nothing was written to " + target);
        }
        Path old = null;
        if (fs.exists(target)) {
            old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
            if (!fs.rename(target, old)) {
                throw new LowbitException("cannot move the earlier " + target + " aside");
            }
        }
        if (!fs.rename(tmp, target)) {
            if (old != null) {
                fs.rename(old, target);
            }
            throw new LowbitException("cannot rename the output into " + target);
        }
        if (old != null) {
            fs.delete(old, true);
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e3) / 1e3;
    }
}
