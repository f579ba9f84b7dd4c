package dev.lowbit.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.text.JsonReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real Spark standalone cluster on loopback: a master and two workers (1 core each) as separate JVMs started from
 * target/spark-home, executors launched by the workers, and this JVM as the driver of {@code ./lowbit spark} jobs.
 * Runs with {@code -Pspark-cluster} after {@code package} (docs/spark.md).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
    static final Path HOME = Path.of(System.getProperty("lowbit.spark.home", "target/spark-home")).toAbsolutePath();
    static final Path JAR = Path.of(System.getProperty("lowbit.spark.jar", "target/lowbit-spark.jar")).toAbsolutePath();
    static final String JAVA_OPTIONS = System.getProperty("lowbit.spark.javaOptions", "");
    static final Path WORK = Path.of("target/cluster-it").toAbsolutePath();
    static final List<Process> WORKERS = new ArrayList<>();
    static Process master;
    static String url;
    static int uiPort;

    @BeforeAll
    static void startCluster() throws Exception {
        assertThat(HOME.resolve("RELEASE")).as("run after package (-Pspark-cluster)").exists();
        assertThat(JAR).exists();
        Files.createDirectories(WORK);
        int port = freePort();
        uiPort = freePort();
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--webui-port", Integer.toString(uiPort));
        url = "spark://127.0.0.1:" + port;
        for (int w = 1; w <= 2; w++) {
            WORKERS.add(start("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                    "--memory", "1536m", "--webui-port", Integer.toString(freePort()), "--work-dir", WORK.resolve("work" + w).toString(), url));
        }
        awaitAliveWorkers(2, Duration.ofSeconds(120));
        // what ./lowbit spark passes as system properties (SparkConf reads spark.*): the app jar, executor JVM flags
        System.setProperty("spark.jars", JAR.toString());
        System.setProperty("spark.executor.extraJavaOptions", JAVA_OPTIONS);
        System.setProperty("spark.executor.memory", "1g");
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    }

    @AfterAll
    static void stopCluster() {
        for (Process p : WORKERS) {
            kill(p);
        }
        if (master != null) {
            kill(master);
        }
        for (String k : List.of("spark.jars", "spark.executor.extraJavaOptions", "spark.executor.memory", "spark.driver.host",
                "spark.driver.bindAddress")) {
            System.clearProperty(k);
        }
    }

    static Process start(String name, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Arrays.stream(JAVA_OPTIONS.strip().split("\\s+")).filter(a -> !a.isEmpty()).forEach(cmd::add);
        cmd.addAll(List.of("-Xmx512m", "-cp", HOME.resolve("jars") + "/*", main));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(WORK.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", HOME.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @SuppressWarnings("unchecked")
    static void awaitAliveWorkers(int n, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Object alive = ((Map<String, Object>) JsonReader.parse(body)).get("aliveworkers");
                if (alive instanceof Number a && a.intValue() >= n) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                // not up yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the standalone cluster did not get " + n + " workers in " + timeout + " (logs: " + WORK + ")");
    }

    static SparkCliTest.Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SparkCli.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new SparkCliTest.Run(code, out.toString().strip(), err.toString().strip());
    }

    static List<Row> readBack(Path parquet) {
        SparkSession s = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            return s.read().parquet(parquet.toString()).orderBy("line").collectAsList();
        } finally {
            s.stop();
        }
    }

    @Test
    @Order(1)
    void embedOnTwoWorkersGivesTheBitsOfLowbitEmbed() throws Exception {
        Path dir = Files.createTempDirectory(WORK, "embed");
        List<String> s = Corpus.sentences(24, 99);
        Path in = Corpus.write(dir, s);
        for (String precision : List.of("fp32", "int8")) {
            Path out = dir.resolve(precision + ".parquet");
            SparkCliTest.Run r = cli("embed", "--in", in.toString(), "--out", out.toString(), "--precision", precision, "--master", url,
                    "--partitions", "6", "--batch", "3");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.json()).containsEntry("rows", 24L).containsEntry("executors", 2L).containsEntry("master", url);
            float[][] expected = Corpus.lowbitEmbed(in, precision, dir);
            List<Row> rows = readBack(out);
            float[][] actual = new float[rows.size()][];
            for (Row row : rows) {
                List<Float> v = row.getList(2);
                float[] f = new float[v.size()];
                for (int c = 0; c < f.length; c++) {
                    f[c] = v.get(c);
                }
                actual[(int) row.getLong(0)] = f;
            }
            LowbitSparkTest.assertSameBits(actual, expected);
        }
    }

    @Test
    @Order(2)
    void sweepOfTwoCellsRunsOnTheCluster() throws Exception {
        Path study = Files.createTempDirectory(WORK, "study");
        SparkCliTest.Run r = cli("sweep", "--task", "kjv-gpt", "--policies", "fp32,imunpack:31", "--seeds", "7", "--steps", "4",
                "--layers", "1", "--dim", "16", "--heads", "2", "--context", "8", "--batch", "4", "--eval-every", "2",
                "--out", study.toString(), "--master", url);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json()).containsEntry("cells", 2L).containsEntry("ran", 2L).containsEntry("failed", 0L).containsEntry("executors", 2L);
        assertThat(study.resolve("runs").resolve("fp32-s7-L1-d16-n4.json")).exists();
        assertThat(study.resolve("runs").resolve("imunpack_31-s7-L1-d16-n4.json")).exists();
        assertThat(study.resolve("table.md")).content().contains("| imunpack:31 | 1 | 16 | 1 |");
    }

    @Test
    @Order(3)
    void aKilledWorkerLosesNoRowAndDuplicatesNone() throws Exception {
        Path dir = Files.createTempDirectory(WORK, "fault");
        int n = 240;
        Path in = Corpus.write(dir, Corpus.sentences(n, 7));
        Path out = dir.resolve("emb.parquet");
        CompletableFuture<SparkCliTest.Run> job = CompletableFuture.supplyAsync(() -> cli("embed", "--in", in.toString(),
                "--out", out.toString(), "--master", url, "--partitions", "12", "--batch", "8"));
        // wait until the embedding stage (12 tasks) has finished two tasks, then kill worker 2 and its executor
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        boolean killed = false;
        while (!killed && !job.isDone() && System.nanoTime() < end) {
            var session = SparkSession.getDefaultSession();
            if (session.isDefined()) {
                var tracker = session.get().sparkContext().statusTracker();
                for (int id : tracker.getActiveStageIds()) {
                    var info = tracker.getStageInfo(id);
                    if (info.isDefined()) {
                        SparkStageInfo st = info.get();
                        if (st.numTasks() == 12 && st.numCompletedTasks() >= 2 && st.numCompletedTasks() < 10) {
                            kill(WORKERS.get(1));
                            killed = true;
                        }
                    }
                }
            }
            Thread.sleep(100);
        }
        assertThat(killed).as("worker 2 was killed while the job ran").isTrue();
        SparkCliTest.Run r = job.get(10, TimeUnit.MINUTES);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json()).containsEntry("rows", (long) n).containsEntry("nullRows", 0L);
        List<Row> rows = readBack(out);
        assertThat(rows).hasSize(n);
        assertThat(rows.stream().map(x -> x.getLong(0)).distinct().count()).isEqualTo(n);
        assertThat(rows).allSatisfy(x -> assertThat(x.getList(2)).hasSize(384));
    }
}
