package dev.lowbit.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.cli.LowbitCli;
import dev.lowbit.text.JsonReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lowbit spark embed|sweep} through {@link SparkCli#execute}, on {@code local[2]}. */
class SparkCliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
        @SuppressWarnings("unchecked")
        Map<String, Object> json() {
            return (Map<String, Object>) JsonReader.parse(out);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SparkCli.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString().strip(), err.toString().strip());
    }

    static void assertOneLineError(Run r, int code, String start) {
        assertThat(r.code()).as(r.err()).isEqualTo(code);
        assertThat(r.err()).startsWith("lowbit: " + start).doesNotContain("\n").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void embedWritesCommittedParquetAndASummary() throws Exception {
        List<String> s = Corpus.sentences(12, 5);
        Path in = Corpus.write(dir, s);
        Path out = dir.resolve("emb.parquet");
        Run r = run("embed", "--in", in.toString(), "--out", out.toString(), "--precision", "int8", "--master", "local[2]",
                "--partitions", "3", "--batch", "4");
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsEntry("rows", 12L).containsEntry("nullRows", 0L).containsEntry("master", "local[2]")
                .containsEntry("executors", 1L).containsKey("backend");
        assertThat(((Number) j.get("partitions")).intValue()).isGreaterThanOrEqualTo(3); // .txt: split by bytes, at least 3
        assertThat(((String) j.get("precision"))).startsWith("int8");
        assertThat(out.resolve("_SUCCESS")).exists();
        try (var files = Files.list(dir)) { // no temporary directory left beside the output
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("sentences.txt", "emb.parquet");
        }
        // a rerun replaces a finished output
        Run again = run("embed", "--in", in.toString(), "--out", out.toString(), "--master", "local[1]");
        assertThat(again.code()).as(again.err()).isZero();
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.toString()).orderBy("line").collectAsList();
            assertThat(rows).hasSize(12);
            assertThat(rows.get(5).getString(1)).isEqualTo(s.get(5));
            assertThat(rows.get(5).getList(2)).hasSize(384);
        } finally {
            spark.stop();
        }
    }

    @Test
    void badInputIsAOneLineErrorAndWritesNothing() throws Exception {
        Path in = Corpus.write(dir, Corpus.sentences(3, 1));
        assertOneLineError(run("embed", "--in", dir.resolve("missing.txt").toString(), "--out", dir.resolve("o").toString()), 2,
                "cannot read " + dir.resolve("missing.txt") + ": no such file");
        assertOneLineError(run("embed", "--in", in.toString(), "--out", dir.resolve("o").toString(), "--precision", "fp7"), 2,
                "unknown precision 'fp7'");
        assertOneLineError(run("embed", "--in", dir.resolve("x.json").toString(), "--out", dir.resolve("o").toString()), 2,
                "--in " + dir.resolve("x.json") + ": unknown format");
        assertOneLineError(run("embed", "--in", in.toString(), "--out", dir.resolve("o").toString(), "--master", "local[x]"), 2,
                "--master 'local[x]' is not");
        Path notSpark = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(notSpark.resolve("keep.txt"), "precious");
        assertOneLineError(run("embed", "--in", in.toString(), "--out", notSpark.toString(), "--master", "local[1]"), 2,
                "--out " + notSpark + " exists and is not a finished Spark output");
        assertThat(notSpark.resolve("keep.txt")).hasContent("precious");
        Path csv = dir.resolve("t.csv");
        Files.writeString(csv, "id,body\n1,hello\n");
        assertOneLineError(run("embed", "--in", csv.toString(), "--out", dir.resolve("o").toString(), "--master", "local[1]"), 2,
                "no column 'text' in the input (columns: id, body)");
        assertOneLineError(run("embed", "--in", in.toString()), 2, "Missing required option: '--out=out.parquet'");
        assertThat(dir.resolve("o")).doesNotExist();
    }

    @Test
    void sweepRunsEachCellAsATaskReportsAFailedCellAndResumes() throws Exception {
        Path study = dir.resolve("study");
        String[] args = {"sweep", "--task", "kjv-gpt", "--policies", "fp32,imunpack:31,nonsense", "--seeds", "7,8", "--steps", "2",
            "--layers", "1", "--dim", "16", "--heads", "2", "--context", "8", "--batch", "4", "--eval-every", "2",
            "--out", study.toString(), "--master", "local[2]"};
        Run r = run(args);
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsEntry("cells", 6L).containsEntry("ran", 6L).containsEntry("failed", 2L).containsEntry("skipped", 0L);
        assertThat(r.out()).contains("unknown policy 'nonsense'");
        String cell = "imunpack_31-s8-L1-d16-n2";
        Path json = study.resolve("runs").resolve(cell + ".json");
        assertThat(json).exists();
        assertThat(study.resolve("runs").resolve("nonsense-s7-L1-d16-n2.json")).doesNotExist();
        assertThat(study.resolve("table.md")).content().contains("| imunpack:31 | 1 | 16 | 2 |").contains("error: unknown policy 'nonsense'");
        assertThat(study.resolve("table.parquet").resolve("_SUCCESS")).exists();
        assertThat(study.resolve("plots").resolve("L1-d16-s7-n2.png")).exists();

        // the cell's JSON is the one `./lowbit train --out` writes for the same run (timings aside)
        Path ref = dir.resolve("ref.json");
        StringWriter err = new StringWriter();
        assertThat(LowbitCli.execute(new String[] {"train", "--task", "kjv-gpt", "--policy", "imunpack:31", "--seed", "8", "--steps", "2",
            "--layers", "1", "--dim", "16", "--heads", "2", "--context", "8", "--batch", "4", "--eval-every", "2", "--threads", "2",
            "--out", ref.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err))).as(err.toString()).isZero();
        Map<?, ?> a = (Map<?, ?>) JsonReader.parse(Files.readString(json));
        Map<?, ?> b = (Map<?, ?>) JsonReader.parse(Files.readString(ref));
        assertThat(a.keySet()).isEqualTo(b.keySet());
        for (String k : List.of("trainLoss", "valLoss", "final", "model", "policy", "seed", "steps", "sample")) {
            assertThat(a.get(k)).as(k).isEqualTo(b.get(k));
        }

        // resume: the finished cells are skipped, the failed ones run again
        long before = Files.getLastModifiedTime(json).toMillis();
        Run again = run(args);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.json()).containsEntry("ran", 2L).containsEntry("skipped", 4L).containsEntry("failed", 2L);
        assertThat(Files.getLastModifiedTime(json).toMillis()).isEqualTo(before);
    }
}
