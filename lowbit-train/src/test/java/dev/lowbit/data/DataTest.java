package dev.lowbit.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir
    Path dir;

    @Test
    void kjvCorpusIsShippedAndSplit() {
        CharCorpus c = CharCorpus.kjv();
        assertThat(c.size()).as("characters, newlines included").isEqualTo(4_137_850);
        assertThat(c.vocabSize()).isBetween(60, 80);
        assertThat(c.text()).startsWith("In the beginning God created the heaven and the earth.");
        CharCorpus.Batch a = c.batch(true, 3, 10, 1, 5);
        CharCorpus.Batch b = c.batch(true, 3, 10, 1, 5);
        assertArrayEquals(a.inputs(), b.inputs());
        // targets are the inputs shifted by one
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(a.inputs(), i * 10 + 1, i * 10 + 10),
                    java.util.Arrays.copyOfRange(a.targets(), i * 10, i * 10 + 9));
        }
        assertThat(c.decode(c.encode("LORD"))).isEqualTo("LORD");
        assertThatThrownBy(() -> c.encode("€")).isInstanceOf(LowbitException.class);
    }

    private void writeIdx(Path f, int magic, int[] dims, byte[] data) throws IOException {
        try (OutputStream raw = Files.newOutputStream(f); DataOutputStream out = new DataOutputStream(new GZIPOutputStream(raw))) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
    }

    @Test
    void readsFashionMnistIdxFiles() throws IOException {
        byte[] pixels = new byte[3 * 784];
        pixels[0] = (byte) 255;
        pixels[784 + 5] = 0;
        writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x803, new int[] {3, 28, 28}, pixels);
        writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x801, new int[] {3}, new byte[] {9, 0, 4});
        FashionMnist f = FashionMnist.load(dir, true);
        assertThat(f.count).isEqualTo(3);
        assertThat(f.labels).containsExactly(9, 0, 4);
        assertThat(f.images[0]).isCloseTo((1 - 0.2860f) / 0.3530f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(f.images[1]).isCloseTo(-0.2860f / 0.3530f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(f.slice(1, 5).size()).isEqualTo(2);
        assertThatThrownBy(() -> FashionMnist.load(dir, false)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("dataset-fashion-mnist").hasMessageContaining("--data");
        writeIdx(dir.resolve("t10k-images-idx3-ubyte.gz"), 0x801, new int[] {3}, new byte[3]);
        writeIdx(dir.resolve("t10k-labels-idx1-ubyte.gz"), 0x801, new int[] {3}, new byte[3]);
        assertThatThrownBy(() -> FashionMnist.load(dir, false)).isInstanceOf(LowbitException.class).hasMessageContaining("magic");
    }

    /** The real Debian dataset (installed by .ci/run where apt works); skipped, with the reason, where it is absent. */
    @Test
    void readsTheDebianFashionMnistPackage() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEBIAN_DIR),
                "Debian package dataset-fashion-mnist is not installed (" + FashionMnist.DEBIAN_DIR + ")");
        FashionMnist test = FashionMnist.load(FashionMnist.DEBIAN_DIR, false);
        assertThat(test.count).isEqualTo(10_000);
        int[] perClass = new int[10];
        for (int l : test.labels) {
            perClass[l]++;
        }
        assertThat(perClass).containsOnly(1_000);
        double mean = 0;
        for (float v : test.images) {
            mean += v;
        }
        assertThat(mean / test.images.length).as("normalized pixels have mean about 0").isBetween(-0.05, 0.05);
        assertThat(FashionMnist.load(FashionMnist.DEBIAN_DIR, true).count).isEqualTo(60_000);
    }
}
