package dev.lowbit.spark;

import dev.lowbit.LowbitException;
import dev.lowbit.nn.Precision;
import java.io.Serializable;

/**
 * How {@link LowbitSpark#embed} embeds: the precision name ({@code ./lowbit embed --precision}, with that verb's
 * defaults, so the bits are the same), sentences per forward pass, worker threads per Spark task (0: the task's
 * {@code spark.task.cpus}) and the name of the column it adds.
 */
public record EmbedOptions(String precision, int batch, int threadsPerTask, String outputColumn) implements Serializable {
    public static final int DEFAULT_BATCH = 32;

    public EmbedOptions {
        if (precision == null || precision.isBlank()) {
            throw new LowbitException("precision must not be empty");
        }
        if (batch < 1) {
            throw new LowbitException("--batch must be >= 1, got " + batch);
        }
        if (threadsPerTask < 0) {
            throw new LowbitException("threads per task must be >= 0 (0: spark.task.cpus), got " + threadsPerTask);
        }
        if (outputColumn == null || outputColumn.isBlank()) {
            throw new LowbitException("the output column name must not be empty");
        }
        resolve(precision); // an unknown precision fails on the driver, before any task starts
    }

    /** fp32, batch 32, threads from {@code spark.task.cpus}, column {@code embedding}. */
    public static EmbedOptions defaults() {
        return of("fp32");
    }

    /** The defaults with precision {@code name} (the names of {@code ./lowbit embed --precision}). */
    public static EmbedOptions of(String name) {
        return new EmbedOptions(name, DEFAULT_BATCH, 0, "embedding");
    }

    public EmbedOptions withBatch(int b) {
        return new EmbedOptions(precision, b, threadsPerTask, outputColumn);
    }

    public EmbedOptions withThreadsPerTask(int t) {
        return new EmbedOptions(precision, batch, t, outputColumn);
    }

    public EmbedOptions withOutputColumn(String c) {
        return new EmbedOptions(precision, batch, threadsPerTask, c);
    }

    /**
     * The precision {@code ./lowbit embed --precision NAME} runs when given no other option: the named precision with
     * the default unpack strategy, per-output-channel weight scales for the RTN modes and, for {@code imunpack},
     * {@link Precision#EMBED_IMUNPACK_LEVELS} levels (see EmbedCommand; {@code EmbedVsCliTest} checks the bits match).
     */
    public static Precision resolve(String name) {
        return Precision.forEmbed(name);
    }

    /** The label of the resolved precision (as in the JSON of {@code ./lowbit embed}). */
    public String label() {
        return resolve(precision).label();
    }
}
