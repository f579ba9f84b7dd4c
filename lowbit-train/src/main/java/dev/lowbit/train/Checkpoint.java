package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Tensor;
import dev.lowbit.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training state on disk: parameters, the policy's quantizer parameters (learned LSQ steps), AdamW
 * moments and step, and the loss history, written atomically.
 * Resuming restores all of it, and since data order and dropout are counter-based on (seed, step), a
 * resumed run continues bit-identically to an uninterrupted one.
 */
public final class Checkpoint {
    static final int MAGIC = 0x4C42434B; // "LBCK"
    static final int VERSION = 2; // 2: quantizer parameters after the model's

    private Checkpoint() {}

    public static Path file(Path dir, TrainConfig c) {
        return dir.resolve(c.task() + "-" + c.policy() + "-seed" + c.seed() + ".ckpt");
    }

    static void save(Path file, TrainConfig c, Model model, QuantizerParams quant, AdamW opt, int step, List<Double> trainLoss,
                     List<double[]> valLoss) {
        AtomicFiles.write(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(c.identity());
            out.writeInt(step);
            out.writeLong(opt.step);
            out.writeInt(model.params().size());
            for (Tensor p : model.params().values()) {
                out.writeUTF(p.name());
                out.writeInt(p.size());
                writeFloats(out, p.data);
                writeFloats(out, opt.m.getOrDefault(p.name(), new float[p.size()]));
                writeFloats(out, opt.v.getOrDefault(p.name(), new float[p.size()]));
            }
            out.writeInt(quant.params().size());
            for (Tensor p : quant.params().values()) {
                out.writeUTF(p.name());
                out.writeInt(p.size());
                writeFloats(out, p.data);
                writeFloats(out, opt.m.getOrDefault(p.name(), new float[p.size()]));
                writeFloats(out, opt.v.getOrDefault(p.name(), new float[p.size()]));
            }
            out.writeInt(trainLoss.size());
            for (double d : trainLoss) {
                out.writeDouble(d);
            }
            out.writeInt(valLoss.size());
            for (double[] v : valLoss) {
                out.writeDouble(v[0]);
                out.writeDouble(v[1]);
            }
            out.flush();
        });
    }

    /** Restores state into {@code model} and {@code opt}; returns the step to continue from. */
    static int load(Path file, TrainConfig c, Model model, QuantizerParams quant, AdamW opt, List<Double> trainLoss,
                    List<double[]> valLoss) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file)); DataInputStream in = new DataInputStream(raw)) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                throw new LowbitException(file + ": not a lowbit checkpoint (or from another version)");
            }
            String id = in.readUTF();
            if (!id.equals(c.identity())) {
                throw new LowbitException(file + ": checkpoint is for another run (" + id + "), not " + c.identity());
            }
            int step = in.readInt();
            opt.step = in.readLong();
            int n = in.readInt();
            if (n != model.params().size()) {
                throw new LowbitException(file + ": " + n + " parameters, the model has " + model.params().size());
            }
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                Tensor p = model.params().get(name);
                int len = in.readInt();
                if (p == null || p.size() != len) {
                    throw new LowbitException(file + ": parameter " + name + " (" + len + ") does not match the model");
                }
                readFloats(in, p.data);
                float[] m = new float[len];
                float[] v = new float[len];
                readFloats(in, m);
                readFloats(in, v);
                opt.m.put(name, m);
                opt.v.put(name, v);
            }
            int nq = in.readInt();
            for (int i = 0; i < nq; i++) {
                String name = in.readUTF();
                int len = in.readInt();
                if (!name.startsWith(QuantizerParams.PREFIX) || len < 1) {
                    throw new LowbitException(file + ": quantizer parameter " + name + " (" + len + ") is not valid");
                }
                float[] d = new float[len];
                float[] m = new float[len];
                float[] v = new float[len];
                readFloats(in, d);
                readFloats(in, m);
                readFloats(in, v);
                quant.restore(name, d);
                opt.m.put(name, m);
                opt.v.put(name, v);
            }
            int tl = in.readInt();
            for (int i = 0; i < tl; i++) {
                trainLoss.add(in.readDouble());
            }
            int vl = in.readInt();
            for (int i = 0; i < vl; i++) {
                valLoss.add(new double[] {in.readDouble(), in.readDouble()});
            }
            return step;
        } catch (NoSuchFileException e) {
            throw new LowbitException(file + ": no checkpoint to resume from");
        } catch (IOException e) {
            throw new LowbitException(file + ": corrupt checkpoint: " + e.getMessage(), e);
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4);
        b.asFloatBuffer().put(a);
        out.write(b.array());
    }

    private static void readFloats(DataInputStream in, float[] a) throws IOException {
        byte[] bytes = new byte[a.length * 4];
        in.readFully(bytes);
        ByteBuffer.wrap(bytes).asFloatBuffer().get(a);
    }

    static List<Double> list() {
        return new ArrayList<>();
    }
}
