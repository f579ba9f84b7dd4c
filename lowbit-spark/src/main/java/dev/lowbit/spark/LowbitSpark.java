package dev.lowbit.spark;

import dev.lowbit.LowbitException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * lowbit as a Spark transformation: all-MiniLM-L6-v2 sentence embeddings of a text column, computed by
 * {@code mapPartitions} on the executors with one model per executor JVM ({@link ExecutorModels}).
 *
 * <p><b>Same bits as one machine.</b> Row {@code r}'s embedding is exactly what {@code ./lowbit embed} gives for the
 * same text in the same precision, however the rows are partitioned or batched: lowbit's results depend neither on
 * the batch composition nor on the thread count.
 *
 * <p><b>Bad rows</b> (the rule {@code ./lowbit embed} follows for a line, plus null): an empty or blank text is
 * embedded as that text ({@code [CLS] [SEP]} for empty), a text longer than 256 word pieces is truncated at 256
 * ([CLS] and [SEP] included), as sentence-transformers and {@code ./lowbit embed} do, and a null text gets a null
 * embedding (the row is kept). None of them fails the job.
 *
 * <p>From PySpark: {@code DataFrame(spark._jvm.dev.lowbit.spark.LowbitSpark.embed(df._jdf, "text",
 * spark._jvm.dev.lowbit.spark.EmbedOptions.of("int8")), spark)} (docs/spark.md).
 */
public final class LowbitSpark {
    private LowbitSpark() {}

    /** {@code df} plus a column {@code options.outputColumn()} of type {@code array<float>} (384 values, L2-normalized). */
    public static Dataset<Row> embed(Dataset<Row> df, String textColumn, EmbedOptions options) {
        return embed(df, textColumn, options, null);
    }

    /** {@link #embed(Dataset, String, EmbedOptions)} that also records which executors ran and their model load time. */
    static Dataset<Row> embed(Dataset<Row> df, String textColumn, EmbedOptions options, Metrics metrics) {
        StructType in = df.schema();
        int col = columnIndex(in, textColumn);
        if (Arrays.asList(in.fieldNames()).contains(options.outputColumn())) {
            throw new LowbitException("the input already has a column '" + options.outputColumn() + "'");
        }
        StructType out = in.add(new StructField(options.outputColumn(),
                DataTypes.createArrayType(DataTypes.FloatType, false), true, org.apache.spark.sql.types.Metadata.empty()));
        return df.mapPartitions(new EmbedPartition(col, options, metrics), Encoders.row(out));
    }

    /** The index of string column {@code name} in {@code schema}; a one-line error naming the columns there are. */
    static int columnIndex(StructType schema, String name) {
        String[] names = schema.fieldNames();
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                if (!(schema.fields()[i].dataType() instanceof StringType)) {
                    throw new LowbitException("column '" + name + "' is " + schema.fields()[i].dataType().simpleString()
                            + ", not a string");
                }
                return i;
            }
        }
        throw new LowbitException("no column '" + name + "' in the input (columns: " + String.join(", ", names) + ")");
    }

    /** Accumulators of a job: the executors that ran its tasks, and the seconds their tasks waited for a model. */
    record Metrics(CollectionAccumulator<String> executorIds, DoubleAccumulator loadAccumulator) implements Serializable {
        static Metrics register(SparkSession s) {
            return new Metrics(s.sparkContext().collectionAccumulator("lowbit executors"),
                    s.sparkContext().doubleAccumulator("lowbit model load seconds"));
        }

        int executors() {
            return (int) executorIds.value().stream().map(s -> s.substring(0, s.indexOf('|'))).distinct().count();
        }

        /** The GEMM backends the executors used (one name when all agree). */
        String backends() {
            return String.join(",", executorIds.value().stream().map(s -> s.substring(s.indexOf('|') + 1)).distinct().sorted().toList());
        }

        double loadSeconds() {
            return loadAccumulator.value();
        }
    }

    /** Per partition: rows in chunks of one batch, each chunk one forward pass of the executor's shared model. */
    static final class EmbedPartition implements MapPartitionsFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final int col;
        private final EmbedOptions options;
        private final Metrics metrics;

        EmbedPartition(int col, EmbedOptions options, Metrics metrics) {
            this.col = col;
            this.options = options;
            this.metrics = metrics;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            TaskContext tc = TaskContext.get();
            int threads = options.threadsPerTask() > 0 ? options.threadsPerTask() : tc == null ? 1 : Math.max(1, tc.cpus());
            long t0 = System.nanoTime();
            var embedder = ExecutorModels.embedder(options, threads);
            if (metrics != null) {
                metrics.loadAccumulator().add((System.nanoTime() - t0) / 1e9);
                metrics.executorIds().add(SparkEnv.get().executorId() + "|" + embedder.bert().backend().name());
            }
            return new Iterator<>() {
                private List<Row> chunk = List.of();
                private int next;

                @Override
                public boolean hasNext() {
                    if (next < chunk.size()) {
                        return true;
                    }
                    if (!rows.hasNext()) {
                        return false;
                    }
                    List<Row> in = new ArrayList<>(options.batch());
                    List<String> texts = new ArrayList<>(options.batch());
                    while (rows.hasNext() && in.size() < options.batch()) {
                        Row r = rows.next();
                        in.add(r);
                        if (!r.isNullAt(col)) {
                            texts.add(r.getString(col));
                        }
                    }
                    float[][] e = texts.isEmpty() ? new float[0][] : embedder.embed(texts, null);
                    List<Row> done = new ArrayList<>(in.size());
                    int j = 0;
                    for (Row r : in) {
                        Object[] v = new Object[r.length() + 1];
                        for (int c = 0; c < r.length(); c++) {
                            v[c] = r.get(c);
                        }
                        v[r.length()] = r.isNullAt(col) ? null : e[j++];
                        done.add(RowFactory.create(v));
                    }
                    chunk = done;
                    next = 0;
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return chunk.get(next++);
                }
            };
        }
    }
}
