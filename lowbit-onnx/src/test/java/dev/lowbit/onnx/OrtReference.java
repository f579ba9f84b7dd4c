package dev.lowbit.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;

/** ONNX Runtime 1.28.0 on the same ONNX file: last hidden state → masked mean → L2 normalization (float64). */
final class OrtReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtReference(String resource) throws IOException, OrtException {
        byte[] bytes;
        try (InputStream in = MiniLm.open(resource)) {
            bytes = in.readAllBytes();
        }
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        session = env.createSession(bytes, o);
    }

    /** Embeddings of a padded batch (right padding with id 0, mask 0). */
    float[][] embed(List<int[]> seqs) throws OrtException {
        int b = seqs.size();
        int len = seqs.stream().mapToInt(s -> s.length).max().orElse(0);
        long[] ids = new long[b * len];
        long[] mask = new long[b * len];
        long[] types = new long[b * len];
        for (int i = 0; i < b; i++) {
            int[] s = seqs.get(i);
            for (int t = 0; t < s.length; t++) {
                ids[i * len + t] = s[t];
                mask[i * len + t] = 1;
            }
        }
        long[] shape = {b, len};
        try (OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor tMask = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor tTypes = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", tIds, "attention_mask", tMask, "token_type_ids", tTypes))) {
            float[][][] h = (float[][][]) r.get(0).getValue();
            int d = h[0][0].length;
            float[][] out = new float[b][d];
            for (int i = 0; i < b; i++) {
                double[] sum = new double[d];
                int n = seqs.get(i).length;
                for (int t = 0; t < n; t++) {
                    for (int j = 0; j < d; j++) {
                        sum[j] += h[i][t][j];
                    }
                }
                double norm = 0;
                for (int j = 0; j < d; j++) {
                    sum[j] /= n;
                    norm += sum[j] * sum[j];
                }
                norm = Math.sqrt(norm);
                for (int j = 0; j < d; j++) {
                    out[i][j] = (float) (sum[j] / norm);
                }
            }
            return out;
        }
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
