package dev.lowbit.data;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rng;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from gzipped IDX files (big-endian: magic 0x00000803 for images, 0x00000801 for labels).
 * Default location: Debian's {@code dataset-fashion-mnist} package, /usr/share/datasets/fashion-mnist.
 * Pixels are scaled to [0, 1] and standardized with the training set's mean 0.2860 and std 0.3530.
 */
public final class FashionMnist {
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    static final float MEAN = 0.2860f;
    static final float STD = 0.3530f;

    public final float[] images;
    public final int[] labels;
    public final int count;

    FashionMnist(float[] images, int[] labels) {
        this.images = images;
        this.labels = labels;
        this.count = labels.length;
    }

    /** Loads {@code train} or {@code t10k} from {@code dir}. */
    public static FashionMnist load(Path dir, boolean train) {
        String prefix = train ? "train" : "t10k";
        Path img = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        Path lab = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        try {
            byte[] pixels = readIdx(img, 0x803);
            byte[] labels = readIdx(lab, 0x801);
            int n = labels.length;
            if (pixels.length != n * 784) {
                throw new LowbitException(img + ": " + pixels.length + " pixels for " + n + " labels");
            }
            float[] x = new float[pixels.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = ((pixels[i] & 0xff) / 255f - MEAN) / STD;
            }
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = labels[i];
            }
            return new FashionMnist(x, y);
        } catch (NoSuchFileException e) {
            throw new LowbitException("Fashion-MNIST not found at " + dir + " (install the Debian package dataset-fashion-mnist, or pass --data DIR)");
        } catch (IOException e) {
            throw new LowbitException(dir + ": cannot read Fashion-MNIST: " + e.getMessage(), e);
        }
    }

    static byte[] readIdx(Path file, int magic) throws IOException {
        try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16))) {
            int m = in.readInt();
            if (m != magic) {
                throw new LowbitException(file + ": not an IDX file of the expected kind (magic " + Integer.toHexString(m) + ")");
            }
            int dims = magic & 0xff;
            long total = 1;
            for (int i = 0; i < dims; i++) {
                total *= in.readInt();
            }
            byte[] data = new byte[(int) total];
            in.readFully(data);
            return data;
        }
    }

    /** A seeded batch: images (B×784) and labels. */
    public record Batch(float[] images, int[] labels, int size) {}

    public Batch batch(int batch, long seed, long step) {
        float[] x = new float[batch * 784];
        int[] y = new int[batch];
        for (int b = 0; b < batch; b++) {
            int i = Rng.below(seed, step * batch + b, count);
            System.arraycopy(images, i * 784, x, b * 784, 784);
            y[b] = labels[i];
        }
        return new Batch(x, y, batch);
    }

    /** Examples [from, from + n) in order. */
    public Batch slice(int from, int n) {
        int m = Math.min(n, count - from);
        float[] x = new float[m * 784];
        System.arraycopy(images, from * 784, x, 0, m * 784);
        int[] y = new int[m];
        System.arraycopy(labels, from, y, 0, m);
        return new Batch(x, y, m);
    }
}
