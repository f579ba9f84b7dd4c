package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability of long work (issue 16): a real {@code lowbit train} process, checkpointing after every step, is killed with
 * SIGKILL at seeded random moments — so some kills land while a checkpoint is being written — and resumed with
 * {@code --resume} each time; the run that finally completes has the same training losses and final validation loss, to the
 * last bit, as a run that was never interrupted, and no temporary file is left behind.
 */
class KillResumeTest {
    @TempDir
    Path dir;

    private static final String[] RUN = {"train", "--task", "kjv-gpt", "--policy", "imunpack", "--steps", "120", "--layers", "1",
        "--dim", "16", "--heads", "2", "--context", "16", "--batch", "4", "--eval-every", "40", "--seed", "3", "--threads", "1"};

    private static String field(String json, String regex) {
        Matcher m = Pattern.compile(regex).matcher(json);
        assertThat(m.find()).as(regex + " in " + json).isTrue();
        return m.group(1);
    }

    private Process start(Path ckpt, Path out, boolean resume) throws IOException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), LowbitCli.class.getName()));
        cmd.addAll(List.of(RUN));
        cmd.addAll(List.of("--checkpoint", ckpt.toString(), "--checkpoint-every", "1", "--out", out.toString()));
        if (resume) {
            cmd.add("--resume");
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
    }

    @Test
    void killedAtRandomMomentsAndResumedEndsWithTheSameBits() throws Exception {
        Path straight = dir.resolve("straight.json");
        List<String> args = new ArrayList<>(List.of(RUN));
        args.addAll(List.of("--out", straight.toString()));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();

        Path ckpt = dir.resolve("ckpt");
        Files.createDirectories(ckpt);
        Path out = dir.resolve("resumed.json");
        SplittableRandom rnd = new SplittableRandom(16);
        int killed = 0;
        boolean resume = false;
        for (int round = 0; round < 4; round++) {
            Files.deleteIfExists(out);
            Path file = ckpt.resolve("kjv-gpt-imunpack-seed3.ckpt");
            long before = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : -1;
            long size = Files.exists(file) ? Files.size(file) : -1;
            Process p = start(ckpt, out, resume);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // wait until this run has written a checkpoint of its own (a resumed run: the file changed), so the kill lands
            // among its training steps and checkpoint writes, not in JVM start-up
            while (p.isAlive() && System.nanoTime() < deadline && !(Files.exists(file)
                    && (Files.getLastModifiedTime(file).toMillis() != before || Files.size(file) != size))) {
                Thread.sleep(2);
            }
            Thread.sleep(rnd.nextInt(250));
            boolean kill = p.isAlive();
            if (kill) {
                p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
                killed++;
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (kill) {
                assertThat(out).as("a killed run writes no result").doesNotExist();
            }
            resume = true;
        }
        assertThat(killed).as("kills that landed mid-run").isGreaterThanOrEqualTo(2);
        Process last = start(ckpt, out, true);
        assertThat(last.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(last.exitValue()).as(Files.readString(dir.resolve("log.txt"))).isZero();

        String a = Files.readString(straight);
        String b = Files.readString(out);
        assertThat(field(b, "\"trainLoss\":(\\[[^]]*])")).isEqualTo(field(a, "\"trainLoss\":(\\[[^]]*])"));
        assertThat(field(b, "\"final\":(\\{[^}]*})")).isEqualTo(field(a, "\"final\":(\\{[^}]*})"));
        assertThat(Integer.parseInt(field(b, "\"resumedFrom\":(\\d+)"))).isPositive();
        try (Stream<Path> s = Files.list(ckpt)) {
            assertThat(s.map(f -> f.getFileName().toString())).containsExactly("kjv-gpt-imunpack-seed3.ckpt");
        }
    }
}
