package dev.lowbit.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link LowbitSpark#embed} on {@code local[2]}: the bits of {@code ./lowbit embed}, whatever the partitioning. */
class LowbitSparkTest {
    static SparkSession spark;
    static final List<String> SENTENCES = Corpus.sentences(16, 18);
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("LowbitSparkTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "3").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Dataset<Row> frame(List<String> texts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create((long) i, texts.get(i)));
        }
        StructType schema = new StructType().add("line", DataTypes.LongType, false).add("text", DataTypes.StringType, true);
        return spark.createDataFrame(rows, schema);
    }

    /** The embeddings by line (null where the embedding is null). */
    static float[][] collect(Dataset<Row> out, int n) {
        float[][] e = new float[n][];
        for (Row r : out.collectAsList()) {
            List<Float> v = r.isNullAt(2) ? null : r.getList(2);
            if (v != null) {
                e[(int) r.getLong(0)] = new float[v.size()];
                for (int c = 0; c < v.size(); c++) {
                    e[(int) r.getLong(0)][c] = v.get(c);
                }
            }
        }
        return e;
    }

    static void assertSameBits(float[][] actual, float[][] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("row %d", i).hasSize(384);
            for (int c = 0; c < 384; c++) {
                if (Float.floatToRawIntBits(actual[i][c]) != Float.floatToRawIntBits(expected[i][c])) {
                    throw new AssertionError("row " + i + " col " + c + ": " + actual[i][c] + " != " + expected[i][c]);
                }
            }
        }
    }

    /** int8 is compared on the standalone cluster (StandaloneClusterIT); here fp32 and imunpack, to keep the suite short. */
    @ParameterizedTest
    @ValueSource(strings = {"fp32", "imunpack"})
    void sameBitsAsLowbitEmbedForAnyPartitioning(String precision) throws Exception {
        // ./lowbit embed: one JVM, one thread, batches of 32 in line order
        float[][] expected = Corpus.lowbitEmbed(Corpus.write(dir, SENTENCES), precision, dir);
        // Spark: 3 partitions in shuffled order, batches of 5, two tasks at once
        float[][] a = collect(LowbitSpark.embed(frame(SENTENCES).repartition(3), "text", EmbedOptions.of(precision).withBatch(5)),
                SENTENCES.size());
        assertSameBits(a, expected);
    }

    @Test
    void nullTextGetsANullEmbeddingAndTheOtherRowsAreUnchanged() {
        List<String> texts = new ArrayList<>(SENTENCES.subList(0, 6));
        texts.set(4, null);
        float[][] withNull = collect(LowbitSpark.embed(frame(texts).repartition(2), "text", EmbedOptions.of("fp32").withBatch(2)), 6);
        float[][] plain = collect(LowbitSpark.embed(frame(SENTENCES.subList(0, 6)), "text", EmbedOptions.of("fp32")), 6);
        assertThat(withNull[4]).isNull();
        for (int i : new int[] {0, 1, 2, 3, 5}) {
            assertThat(withNull[i]).isEqualTo(plain[i]);
        }
        assertThat(plain[1]).as("the empty text is embedded").hasSize(384);
    }

    @Test
    void keepsEveryInputColumnAndAddsTheEmbedding() {
        Dataset<Row> out = LowbitSpark.embed(frame(SENTENCES.subList(0, 2)), "text", EmbedOptions.of("fp32").withOutputColumn("vec"));
        assertThat(out.schema().fieldNames()).containsExactly("line", "text", "vec");
        assertThat(out.schema().apply("vec").dataType().simpleString()).isEqualTo("array<float>");
    }

    @Test
    void badArgumentsAreOneLineErrorsOnTheDriver() {
        Dataset<Row> df = frame(SENTENCES.subList(0, 2));
        assertThatThrownBy(() -> LowbitSpark.embed(df, "body", EmbedOptions.defaults())).isInstanceOf(LowbitException.class)
                .hasMessage("no column 'body' in the input (columns: line, text)");
        assertThatThrownBy(() -> LowbitSpark.embed(df, "line", EmbedOptions.defaults())).isInstanceOf(LowbitException.class)
                .hasMessage("column 'line' is bigint, not a string");
        assertThatThrownBy(() -> LowbitSpark.embed(df, "text", EmbedOptions.defaults().withOutputColumn("line")))
                .isInstanceOf(LowbitException.class).hasMessage("the input already has a column 'line'");
        assertThatThrownBy(() -> EmbedOptions.of("fp7")).isInstanceOf(LowbitException.class).hasMessageStartingWith("unknown precision 'fp7'");
        assertThatThrownBy(() -> EmbedOptions.defaults().withBatch(0)).isInstanceOf(LowbitException.class)
                .hasMessage("--batch must be >= 1, got 0");
    }
}
