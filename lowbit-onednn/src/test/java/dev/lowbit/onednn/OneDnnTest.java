package dev.lowbit.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FFM binding: discovery and its one-line reasons, extraction, the ISA, and the thin GEMM calls. */
class OneDnnTest {
    private static OneDnn dnn;

    @BeforeAll
    static void requireOneDnn() {
        if (OneDnn.get().isEmpty()) {
            System.out.println("oneDNN binding tests skipped: " + OneDnn.unavailableReason());
        }
        Assumptions.assumeTrue(OneDnn.get().isPresent(), () -> "oneDNN unavailable: " + OneDnn.unavailableReason());
        dnn = OneDnn.get().orElseThrow();
    }

    @Test
    void loadsOnceAndKnowsItsIsa() {
        assertThat(OneDnn.get()).containsSame(dnn);
        assertThat(OneDnn.unavailableReason()).isNull();
        assertThat(OneDnn.VERSION).isEqualTo("3.11-1.5.13");
        assertThat(dnn.library()).isRegularFile();
        assertThat(dnn.isa()).doesNotStartWith("isa_0x").isNotEqualTo("default");
        assertThat(dnn.hasThreadControl()).isTrue();
        dnn.setThreads(2);
        assertThat(dnn.maxThreads()).isEqualTo(2);
        dnn.setThreads(1);
        assertThat(dnn.maxThreads()).isEqualTo(1);
        // oneDNN fixes its ISA at the first query: a later limit is refused (invalid_arguments), not silently ignored
        assertThat(dnn.setMaxCpuIsa(0x7)).isNotZero();
    }

    @Test
    void vnniFollowsTheIsaTable() {
        assertThat(OneDnn.hasVnni(0x7)).isFalse(); // avx2
        assertThat(OneDnn.hasVnni(0x27)).isFalse(); // avx512_core
        for (int vnni : new int[] {0xf, 0x1f, 0x67, 0xe7, 0x1ef, 0xfef, 0x1fef, 0x201ff, 0x22fff}) {
            assertThat(OneDnn.hasVnni(vnni)).as(OneDnn.isaName(vnni)).isTrue();
        }
        assertThat(OneDnn.isaName(0x1ef)).isEqualTo("avx10_1_512");
        assertThat(OneDnn.isaName(0x67)).isEqualTo("avx512_core_vnni");
        assertThat(OneDnn.isaName(0x12345)).isEqualTo("isa_0x12345");
        assertThat(dnn.isaExactBits()).isEqualTo(dnn.hasVnni() ? 8 : 7);
    }

    @Test
    void thinGemmsWithOffsetsAndLeadingDimensions() {
        SplittableRandom r = new SplittableRandom(2);
        int m = 13;
        int n = 7;
        int k = 37;
        int lda = 41;
        int ldb = 50;
        int ldc = 9;
        byte[] a = new byte[3 + m * lda];
        byte[] au = new byte[a.length];
        byte[] b = new byte[5 + n * ldb];
        r.nextBytes(a);
        r.nextBytes(b);
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) Math.max(-127, a[i]);
            au[i] = (byte) (a[i] + 128);
        }
        float[] fa = new float[a.length];
        float[] fb = new float[b.length];
        for (int i = 0; i < a.length; i++) {
            fa[i] = a[i];
        }
        for (int i = 0; i < b.length; i++) {
            fb[i] = b[i];
        }
        int[] want = new int[2 + m * ldc];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[3 + i * lda + p] * b[5 + j * ldb + p];
                }
                want[2 + i * ldc + j] = s;
            }
        }
        int[] c = new int[want.length];
        dnn.setThreads(2);
        dnn.gemmS8S8S32(m, n, k, a, 3, lda, b, 5, ldb, c, 2, ldc);
        assertArrayEquals(want, c);
        int[] cu = new int[want.length];
        dnn.gemmU8S8S32(m, n, k, au, 3, lda, 128, b, 5, ldb, cu, 2, ldc);
        assertArrayEquals(want, cu);
        float[] fc = new float[want.length];
        dnn.sgemm(m, n, k, fa, 3, lda, fb, 5, ldb, fc, 2, ldc);
        for (int i = 0; i < want.length; i++) {
            assertThat(fc[i]).isEqualTo((float) want[i]); // integer sums below 2^24: exact in any order
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment na = arena.allocate(a.length);
            MemorySegment nb = arena.allocate(b.length);
            MemorySegment nc = arena.allocate(4L * want.length);
            MemorySegment.copy(MemorySegment.ofArray(a), 0, na, 0, a.length);
            MemorySegment.copy(MemorySegment.ofArray(b), 0, nb, 0, b.length);
            dnn.gemmS8S8S32(m, n, k, na.asSlice(3), lda, nb.asSlice(5), ldb, nc.asSlice(8), ldc);
            int[] back = nc.toArray(java.lang.foreign.ValueLayout.JAVA_INT);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    assertThat(back[2 + i * ldc + j]).isEqualTo(want[2 + i * ldc + j]);
                }
            }
        }
        // k = 0 writes zeros without asking oneDNN
        int[] z = {5, 5, 5, 5};
        dnn.gemmS8S8S32(2, 2, 0, new byte[0], 0, 0, new byte[0], 0, 0, z, 0, 2);
        assertArrayEquals(new int[4], z);
    }

    @Test
    void errorsAreOneLineAndNativeNeverSeesBadExtents() {
        assertThatThrownBy(() -> dnn.gemmS8S8S32(4, 4, 4, new byte[15], 0, 4, new byte[16], 0, 4, new int[16], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of bounds");
        assertThatThrownBy(() -> dnn.gemmS8S8S32(4, 4, 4, new byte[16], 0, 3, new byte[16], 0, 4, new int[16], 0, 4))
                .isInstanceOf(IllegalArgumentException.class);
        try (Arena arena = Arena.ofConfined()) { // oneDNN's own check: lda < k is invalid_arguments
            MemorySegment s = arena.allocate(64);
            assertThatThrownBy(() -> dnn.gemmS8S8S32(2, 2, 4, s, 1, s, 4, arena.allocate(64), 2))
                    .isInstanceOf(LowbitException.class).hasMessage("dnnl_gemm_s8s8s32 returned status 2 (invalid_arguments)");
        }
    }

    @Test
    void discoveryReasonsAreOneLine() {
        String saved = System.getProperty("lowbit.onednn.path");
        String os = System.getProperty("os.name");
        try {
            System.setProperty("lowbit.onednn.path", "/nonexistent/libdnnl.so.3");
            assertThat(OneDnn.discover()).isInstanceOf(String.class).asString().contains("/nonexistent/libdnnl.so.3")
                    .contains("does not exist").doesNotContain("\n");
            System.setProperty("lowbit.onednn.path", dnn.library().toString());
            assertThat(OneDnn.discover()).isInstanceOf(OneDnn.class);
            System.clearProperty("lowbit.onednn.path");
            System.setProperty("os.name", "Mac OS X");
            assertThat(OneDnn.discover()).isInstanceOf(String.class).asString().contains("Linux x86-64 only").contains("Mac OS X");
        } finally {
            System.setProperty("os.name", os);
            if (saved == null) {
                System.clearProperty("lowbit.onednn.path");
            } else {
                System.setProperty("lowbit.onednn.path", saved);
            }
        }
    }

    @Test
    void extractionIsAtomicUnderConcurrentWriters(@TempDir Path dir) throws Exception {
        URL gomp = OneDnn.class.getResource("/org/bytedeco/dnnl/linux-x86_64/libgomp.so.1");
        assertThat(gomp).isNotNull();
        byte[] want;
        try (var in = gomp.openStream()) {
            want = in.readAllBytes();
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Path>> jobs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                jobs.add(() -> OneDnn.extract(gomp, dir, "libgomp.so.1"));
            }
            for (Future<Path> f : pool.invokeAll(jobs)) {
                Path p = f.get();
                assertThat(Files.readAllBytes(p)).isEqualTo(want); // every writer sees a complete file
            }
        } finally {
            pool.shutdown();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("libgomp.so.1"); // no temporary left
        }
        var stamp = Files.getLastModifiedTime(dir.resolve("libgomp.so.1"));
        Thread.sleep(20);
        OneDnn.extract(gomp, dir, "libgomp.so.1"); // present with the right size: not rewritten
        assertThat(Files.getLastModifiedTime(dir.resolve("libgomp.so.1"))).isEqualTo(stamp);
        Files.write(dir.resolve("libgomp.so.1"), new byte[10]); // truncated: replaced
        OneDnn.extract(gomp, dir, "libgomp.so.1");
        assertThat(Files.size(dir.resolve("libgomp.so.1"))).isEqualTo(want.length);
    }

    @Test
    void cacheDirFollowsTheProperty(@TempDir Path dir) throws IOException {
        String saved = System.getProperty("lowbit.cache.dir");
        try {
            System.setProperty("lowbit.cache.dir", dir.toString());
            assertThat(OneDnn.cacheDir()).isEqualTo(dir.resolve("lowbit").resolve("onednn-" + OneDnn.VERSION)).isDirectory();
        } finally {
            if (saved == null) {
                System.clearProperty("lowbit.cache.dir");
            } else {
                System.setProperty("lowbit.cache.dir", saved);
            }
        }
    }
}
