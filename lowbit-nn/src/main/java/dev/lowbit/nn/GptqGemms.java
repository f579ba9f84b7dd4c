package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.quant.GptqQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * {@code gptq-w4}: weight-only GPTQ ({@link GptqQuantizer}, 4 bits, asymmetric min/max grid per output row and
 * group of {@value #GROUP} columns along k, no act-order, block 128, damping 1 %), calibrated on the inputs that
 * each linear layer receives in the FP32 model when it embeds the calibration sequences (one pass of the FP32
 * model; every layer sees FP32 inputs, not the outputs of already quantized layers). Activations and the
 * attention GEMMs stay FP32 (W4A32): the GEMM multiplies the FP32 input by the dequantized 4-bit weight.
 * Stored form: 4-bit codes plus, per (row, group), a float32 scale and a 4-bit zero point.
 */
public final class GptqGemms implements PrecisionGemms {
    /** Bits per weight. */
    public static final int BITS = 4;
    /** Columns per quantization group. */
    public static final int GROUP = dev.lowbit.policy.OperandSpec.Gptq.GROUP;
    /** The settings used. */
    public static final GptqQuantizer.Spec SPEC = new GptqQuantizer.Spec(BITS, GROUP, false, 128, 0.01);

    /** The built-in calibration text, one sentence per line (resource {@value #CALIBRATION_RESOURCE}). */
    public static final String CALIBRATION_RESOURCE = "/dev/lowbit/nn/calibration-sentences.txt";

    private final GemmBackend backend;
    private final FloatMatrix[][] dequantized;
    private final int[][][] codes;

    private GptqGemms(GemmBackend backend, FloatMatrix[][] dequantized, int[][][] codes) {
        this.backend = backend;
        this.dequantized = dequantized;
        this.codes = codes;
    }

    /** The built-in calibration sentences (64 varied English sentences written for this project). */
    public static List<String> calibrationSentences() {
        try (InputStream in = GptqGemms.class.getResourceAsStream(CALIBRATION_RESOURCE)) {
            if (in == null) {
                throw new LowbitException(CALIBRATION_RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new LowbitException("cannot read " + CALIBRATION_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Quantized weights already computed in this JVM, per model and calibration input (GPTQ takes seconds). */
    private static final Map<BertWeights, Map<List<String>, GptqGemms>> CACHE = new WeakHashMap<>();

    static GptqGemms calibrate(BertWeights w, Precision p, GemmBackend backend, List<int[]> calibration, int threads) {
        if (calibration == null || calibration.isEmpty()) {
            throw new LowbitException("gptq-w4 needs calibration text (token ids of built-in sentences): "
                    + "construct Bert with a calibration list, or use SentenceEmbedder, which supplies it");
        }
        List<String> key = new ArrayList<>(calibration.stream().map(Arrays::toString).toList());
        key.add(p.roles().toString());
        synchronized (CACHE) {
            GptqGemms done = CACHE.getOrDefault(w, Map.of()).get(key);
            if (done != null) {
                return new GptqGemms(backend, done.dequantized, done.codes);
            }
        }
        GptqGemms g = quantizeAll(w, p, backend, calibration, threads);
        synchronized (CACHE) {
            CACHE.computeIfAbsent(w, x -> new HashMap<>()).put(key, g);
        }
        return g;
    }

    private static GptqGemms quantizeAll(BertWeights w, Precision p, GemmBackend backend, List<int[]> calibration, int threads) {
        int layers = w.config().layers();
        FloatMatrix[][] inputs = capture(w, backend, calibration, threads);
        FloatMatrix[][] deq = new FloatMatrix[layers][GemmRole.LINEAR.size()];
        int[][][] codes = new int[layers][GemmRole.LINEAR.size()][];
        int jobs = layers * GemmRole.LINEAR.size();
        Parallel.forEach(Math.max(1, threads), jobs, job -> {
            int l = job / GemmRole.LINEAR.size();
            GemmRole r = GemmRole.LINEAR.get(job % GemmRole.LINEAR.size());
            if (!p.quantizes(r)) {
                return;
            }
            GptqQuantizer.Result q = GptqQuantizer.quantize(w.layers().get(l).linear(r).weight(), inputs[l][r.ordinal()], SPEC);
            deq[l][r.ordinal()] = q.toFloatMatrix();
            codes[l][r.ordinal()] = q.codes();
        });
        return new GptqGemms(backend, deq, codes);
    }

    /** The input of every linear layer of the FP32 model on the calibration sequences (tokens × in). */
    public static FloatMatrix[][] capture(BertWeights w, GemmBackend backend, List<int[]> calibration, int threads) {
        FloatMatrix[][] inputs = new FloatMatrix[w.config().layers()][GemmRole.LINEAR.size()];
        try (Bert fp = new Bert(w, Precision.fp32(), backend, threads)) {
            fp.capture((l, role, x) -> inputs[l][role.ordinal()] = x.copy());
            fp.embed(calibration);
        }
        return inputs;
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        FloatMatrix wq = dequantized[layer][role.ordinal()];
        float[] out = new float[x.rows() * wq.rows()];
        if (x.rows() > 0) {
            Gemm.f32(x, wq, FloatMatrix.wrap(out, x.rows(), wq.rows()), backend);
        }
        return out;
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        throw new IllegalStateException("gptq-w4 keeps the attention GEMMs in FP32");
    }

    /** 4-bit codes plus a float32 scale and a 4-bit zero per (row, group of 128 columns). */
    @Override
    public long weightBytes(int layer, GemmRole role) {
        FloatMatrix wq = dequantized[layer][role.ordinal()];
        long n = wq.rows();
        long groups = (wq.cols() + GROUP - 1) / GROUP;
        return (n * wq.cols() * BITS + 7) / 8 + n * groups * 4 + (n * groups * BITS + 7) / 8;
    }

    /** The dequantized float32 weight the GEMM multiplies plus the int32 codes kept for inspection. */
    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        return PrecisionGemms.arrayBytes(dequantized[layer][role.ordinal()].data(), codes[layer][role.ordinal()]);
    }

    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        return dequantized[layer][role.ordinal()];
    }

    /** The 4-bit codes, row-major (for tests). */
    public int[] codes(int layer, GemmRole role) {
        return codes[layer][role.ordinal()].clone();
    }
}
