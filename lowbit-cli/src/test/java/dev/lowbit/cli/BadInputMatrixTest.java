package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.lowbit.cuda.Cuda;
import dev.lowbit.io.DType;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input matrix (docs/reliability.md): every CLI verb against every kind of bad input it can receive, through
 * the real entry point. Each cell must give exactly one stderr line starting {@code lowbit:} that names the file,
 * option or value, exit code 2, no stack trace, no output file created or modified, and the inputs untouched.
 * The actual messages are written to {@code target/bad-input-matrix.md} for the doc's table.
 */
class BadInputMatrixTest {
    static Path dir;
    static final List<String> REPORT = new ArrayList<>();

    /** Small, fast model settings for train cells, so a cell that wrongly passed validation would still end quickly. */
    static final String[] TINY = {"--steps", "1", "--layers", "1", "--dim", "16", "--heads", "2", "--context", "16", "--batch", "2"};

    @BeforeAll
    static void fixtures() throws IOException {
        dir = Files.createTempDirectory("lowbit-bad-input");
        Npy.write(dir.resolve("A.npy"), NpyArray.of(RandomMatrices.gaussian(8, 16, 1)));
        Npy.write(dir.resolve("W.npy"), NpyArray.of(RandomMatrices.gaussian(4, 16, 2)));
        Npy.write(dir.resolve("K5.npy"), NpyArray.of(RandomMatrices.gaussian(4, 5, 3)));
        Npy.write(dir.resolve("F64.npy"), NpyArray.ofFloats(DType.F64, new int[] {8, 16}, new double[128]));
        Npy.write(dir.resolve("T3.npy"), NpyArray.ofFloats(DType.F32, new int[] {2, 4, 16}, new double[128]));
        Npy.write(dir.resolve("S0.npy"), NpyArray.ofFloats(DType.F32, new int[] {}, new double[] {1}));
        Npy.write(dir.resolve("R5.npy"), NpyArray.ofFloats(DType.F32, new int[] {4, 5}, new double[20]));
        for (String[] bad : new String[][] {{"NaN.npy", "NaN"}, {"Inf.npy", "Infinity"}, {"NegInf.npy", "-Infinity"}}) {
            FloatMatrix m = RandomMatrices.gaussian(8, 16, 4);
            m.set(3, 7, Float.parseFloat(bad[1]));
            Npy.write(dir.resolve(bad[0]), NpyArray.of(m));
        }
        byte[] a = Files.readAllBytes(dir.resolve("A.npy"));
        Files.write(dir.resolve("trunc.npy"), java.util.Arrays.copyOf(a, a.length - 100));
        // a complex64 array: a dtype lowbit does not read
        Files.write(dir.resolve("C8.npy"), replace(Files.readAllBytes(dir.resolve("A.npy")), "<f4", "<c8"));
        Files.write(dir.resolve("empty.npy"), new byte[0]);
        Files.write(dir.resolve("empty.txt"), new byte[0]);
        Files.writeString(dir.resolve("notes.txt"), "a regular file, used as a would-be directory\n");
        Files.writeString(dir.resolve("sentences.txt"), "hello world\nlow-bit arithmetic\n");
        Files.write(dir.resolve("latin1.txt"), "caf\u00e9 cr\u00e8me\n".getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(dir.resolve("not.json"), "this is not JSON\n");
        Files.createDirectory(dir.resolve("adir"));
    }

    private static byte[] replace(byte[] b, String from, String to) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        return s.replace(from, to).getBytes(StandardCharsets.ISO_8859_1);
    }

    @AfterAll
    static void writeReport() throws IOException {
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("bad-input-matrix.md"), String.join("\n", REPORT) + "\n");
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Arguments cell(String verb, String bad, String fragment, String... args) {
        return Arguments.of(verb, bad, fragment, args);
    }

    static Stream<Arguments> matrix() {
        String[] unpackOk = {"--bits", "4", "--strategy", "row"};
        return Stream.of(
                // ---- unpack
                cell("unpack", "missing file", "missing.npy: no such file", "unpack", "--lhs", "@missing.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "directory instead of file", "adir: is a directory", "unpack", "--lhs", "@adir", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "empty file", "empty.npy: not a .npy file", "unpack", "--lhs", "@A.npy", "--rhs", "@empty.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "truncated file", "trunc.npy: truncated .npy file", "unpack", "--lhs", "@trunc.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "wrong dtype (complex64)", "C8.npy: unsupported dtype '<c8'", "unpack", "--lhs", "@C8.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "3-D array", "T3.npy: expected a 2-D array, got shape (2, 4, 16)", "unpack", "--lhs", "@T3.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "0-D array", "S0.npy: expected a 2-D array, got shape ()", "unpack", "--lhs", "@A.npy", "--rhs", "@S0.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "shape mismatch", "inner dimensions differ", "unpack", "--lhs", "@A.npy", "--rhs", "@K5.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "NaN entry", "NaN.npy: non-finite value NaN at (3, 7)", "unpack", "--lhs", "@NaN.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "+Inf entry", "Inf.npy: non-finite value Infinity at (3, 7)", "unpack", "--lhs", "@A.npy", "--rhs", "@Inf.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "-Inf entry", "NegInf.npy: non-finite value -Infinity", "unpack", "--lhs", "@NegInf.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row"),
                cell("unpack", "--bits 1", "bits must be in 2..16, got 1", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "1", "--strategy", "row"),
                cell("unpack", "--bits 17", "bits must be in 2..16, got 17", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "17", "--strategy", "row"),
                cell("unpack", "--bits not a number", "four", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "four", "--strategy", "row"),
                cell("unpack", "--levels 1", "levels must be >= 2, got 1", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--levels", "1", "--bits", "4", "--strategy", "row"),
                cell("unpack", "--beta 0", "--beta must be in (0, 1], got 0.0", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--beta", "0", "--bits", "4", "--strategy", "row"),
                cell("unpack", "--beta NaN", "--beta must be in (0, 1], got NaN", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--beta", "NaN", "--bits", "4", "--strategy", "row"),
                cell("unpack", "unknown --strategy", "diag", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "diag"),
                cell("unpack", "unknown --granularity", "unknown granularity 'diagonal'", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--granularity", "diagonal", "--bits", "4", "--strategy", "row"),
                cell("unpack", "unknown --backend", "tpu", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--backend", "tpu", "--bits", "4", "--strategy", "row"),
                cell("unpack", "--out in a missing directory", "--out " , "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row", "--out", "@nodir/C.npy"),
                cell("unpack", "--out under a regular file", "notes.txt is not a directory", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row", "--out", "@notes.txt/C.npy"),
                cell("unpack", "--out is a directory", "adir: is a directory", "unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "4", "--strategy", "row", "--out", "@adir"),
                cell("unpack", "missing required option", "Missing required option", "unpack", "--lhs", "@A.npy", "--bits", "4", "--strategy", "row"),
                // ---- compare
                cell("compare", "missing file", "missing.npy: no such file", "compare", "--lhs", "@A.npy", "--rhs", "@missing.npy"),
                cell("compare", "directory instead of file", "adir: is a directory", "compare", "--lhs", "@adir", "--rhs", "@W.npy"),
                cell("compare", "empty file", "empty.npy: not a .npy file", "compare", "--lhs", "@empty.npy", "--rhs", "@W.npy"),
                cell("compare", "wrong dtype (complex64)", "C8.npy: unsupported dtype", "compare", "--lhs", "@A.npy", "--rhs", "@C8.npy"),
                cell("compare", "3-D array", "T3.npy: expected a 2-D array", "compare", "--lhs", "@T3.npy", "--rhs", "@W.npy"),
                cell("compare", "0-D array", "S0.npy: expected a 2-D array", "compare", "--lhs", "@A.npy", "--rhs", "@S0.npy"),
                cell("compare", "shape mismatch", "inner dimensions differ", "compare", "--lhs", "@A.npy", "--rhs", "@K5.npy"),
                cell("compare", "shape mismatch (--calib)", "R5.npy", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--calib", "@R5.npy"),
                cell("compare", "NaN entry", "NaN.npy: non-finite value NaN", "compare", "--lhs", "@NaN.npy", "--rhs", "@W.npy"),
                cell("compare", "+Inf entry (--calib)", "Inf.npy: non-finite value Infinity", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--calib", "@Inf.npy"),
                cell("compare", "--bits 1", "--bits must be in 2..16, got 1", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "1"),
                cell("compare", "--bits 17", "--bits must be in 2..16, got 17", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--bits", "17"),
                cell("compare", "unknown --methods", "unknown method 'magic'", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--methods", "magic"),
                cell("compare", "--plot in a missing directory", "does not exist", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--plot", "@nodir/p.png"),
                cell("compare", "--plot under a regular file", "notes.txt is not a directory", "compare", "--lhs", "@A.npy", "--rhs", "@W.npy", "--plot", "@notes.txt/p.png"),
                // ---- quantize
                cell("quantize", "missing file", "missing.npy: no such file", "quantize", "--in", "@missing.npy", "--out", "@Y.npy", "--format", "e4m3"),
                cell("quantize", "directory instead of file", "adir: is a directory", "quantize", "--in", "@adir", "--out", "@Y.npy", "--format", "e4m3"),
                cell("quantize", "empty file", "empty.npy: not a .npy file", "quantize", "--in", "@empty.npy", "--out", "@Y.npy", "--format", "e4m3"),
                cell("quantize", "wrong dtype (float64)", "F64.npy: expected a float32 array, got f64", "quantize", "--in", "@F64.npy", "--out", "@Y.npy", "--format", "e4m3"),
                cell("quantize", "0-D array, block format", "S0.npy: mxfp4 needs the last axis to be a multiple of the block size 32, got 1", "quantize", "--in", "@S0.npy", "--out", "@Y.npy", "--format", "mxfp4"),
                cell("quantize", "block does not divide the last axis", "R5.npy: mxfp4 needs the last axis", "quantize", "--in", "@R5.npy", "--out", "@Y.npy", "--format", "mxfp4"),
                cell("quantize", "NaN entry, integer format", "NaN.npy: int4 needs finite input", "quantize", "--in", "@NaN.npy", "--out", "@Y.npy", "--format", "int4"),
                cell("quantize", "+Inf entry, integer format", "Inf.npy: int8-row needs finite input", "quantize", "--in", "@Inf.npy", "--out", "@Y.npy", "--format", "int8-row"),
                cell("quantize", "unknown --format", "unknown format 'e4m9x'", "quantize", "--in", "@A.npy", "--out", "@Y.npy", "--format", "e4m9x"),
                cell("quantize", "bad --format suffix", "bad format 'int4-g0': group size must be >= 1", "quantize", "--in", "@A.npy", "--out", "@Y.npy", "--format", "int4-g0"),
                cell("quantize", "int1 format", "bad format 'int1': integer formats need 2..16 bits, got 1", "quantize", "--in", "@A.npy", "--out", "@Y.npy", "--format", "int1"),
                cell("quantize", "unknown --rounding", "sideways", "quantize", "--in", "@A.npy", "--out", "@Y.npy", "--format", "e4m3", "--rounding", "sideways"),
                cell("quantize", "--out in a missing directory", "does not exist", "quantize", "--in", "@A.npy", "--out", "@nodir/Y.npy", "--format", "e4m3"),
                cell("quantize", "--out under a regular file", "notes.txt is not a directory", "quantize", "--in", "@A.npy", "--out", "@notes.txt/Y.npy", "--format", "e4m3"),
                cell("quantize", "--out is a directory", "adir: is a directory", "quantize", "--in", "@A.npy", "--out", "@adir", "--format", "e4m3"),
                // ---- gen
                cell("gen", "unknown --kind", "unknown kind 'zipf'", "gen", "--kind", "zipf", "--shape", "4x4", "--out", "@G.npy"),
                cell("gen", "--shape 1-D", "--shape must be RxC", "gen", "--kind", "gaussian", "--shape", "5", "--out", "@G.npy"),
                cell("gen", "--shape 0 rows", "got '0x5'", "gen", "--kind", "gaussian", "--shape", "0x5", "--out", "@G.npy"),
                cell("gen", "--shape negative", "got '-3x5'", "gen", "--kind", "gaussian", "--shape", "-3x5", "--out", "@G.npy"),
                cell("gen", "--shape 3-D", "got '2x3x4'", "gen", "--kind", "gaussian", "--shape", "2x3x4", "--out", "@G.npy"),
                cell("gen", "--shape too large", "--shape 100000x100000 is too large", "gen", "--kind", "gaussian", "--shape", "100000x100000", "--out", "@G.npy"),
                cell("gen", "--nu 0", "--nu must be >= 1, got 0", "gen", "--kind", "student-t", "--nu", "0", "--shape", "4x4", "--out", "@G.npy"),
                cell("gen", "--out in a missing directory", "does not exist", "gen", "--kind", "gaussian", "--shape", "4x4", "--out", "@nodir/G.npy"),
                cell("gen", "--out under a regular file", "notes.txt is not a directory", "gen", "--kind", "gaussian", "--shape", "4x4", "--out", "@notes.txt/G.npy"),
                cell("gen", "--out is a directory", "adir: is a directory", "gen", "--kind", "gaussian", "--shape", "4x4", "--out", "@adir"),
                // ---- embed (every cell fails before the model loads)
                cell("embed", "missing file", "missing.txt: no such file", "embed", "--in", "@missing.txt", "--out", "@E.npy"),
                cell("embed", "directory instead of file", "adir", "embed", "--in", "@adir", "--out", "@E.npy"),
                cell("embed", "empty file", "empty.txt: no sentences", "embed", "--in", "@empty.txt", "--out", "@E.npy"),
                cell("embed", "non-UTF-8 text", "latin1.txt: not valid UTF-8", "embed", "--in", "@latin1.txt", "--out", "@E.npy"),
                cell("embed", "unknown --precision", "fp7", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "fp7"),
                cell("embed", "--precision switch:9", "the weight width must be an integer 2..8, got 9", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "switch:9"),
                cell("embed", "unknown --math", "unknown --math 'fp4'", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--math", "fp4"),
                cell("embed", "--bits 1", "1", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "imunpack", "--bits", "1"),
                cell("embed", "--bits 17", "17", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "imunpack", "--bits", "17"),
                cell("embed", "--bits with fp32", "--bits applies to the RTN presets (imunpack, int8 ...) only", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--bits", "4"),
                cell("embed", "--levels 1", "--levels must be >= 2, got 1", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "imunpack", "--levels", "1"),
                cell("embed", "--beta 2", "beta must be in (0, 1], got 2.0", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "int8", "--beta", "2"),
                cell("embed", "--batch 0", "--batch must be >= 1, got 0", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--batch", "0"),
                cell("embed", "--threads 0", "--threads must be >= 1, got 0", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--threads", "0"),
                cell("embed", "unknown --strategy", "diag", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "imunpack", "--strategy", "diag"),
                cell("embed", "unknown --scope", "unknown --scope 'global'", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "imunpack", "--scope", "global"),
                cell("embed", "--os-plus with fp32", "--os-plus needs a precision that quantizes the linear inputs", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--os-plus"),
                cell("embed", "--os-plus-candidates 0", "--os-plus-candidates must be >= 1, got 0", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "int8", "--os-plus", "--os-plus-candidates", "0"),
                cell("embed", "--out in a missing directory", "does not exist", "embed", "--in", "@sentences.txt", "--out", "@nodir/E.npy"),
                cell("embed", "--out under a regular file", "notes.txt is not a directory", "embed", "--in", "@sentences.txt", "--out", "@notes.txt/E.npy"),
                cell("embed", "mixed --precision, unknown preset", "unknown precision 'fp9'", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "*=fp8,0.o=fp9"),
                cell("embed", "mixed --precision, unknown group", "unknown group 'mlp'", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "0.mlp=fp8"),
                cell("embed", "mixed --precision, layer 6", "layers 6 outside 0..5", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "6.o=fp8"),
                cell("embed", "--precision file without a policy", "expected LAYERS.GROUP=PRECISION", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "@notes.txt"),
                cell("embed", "mixed --precision with --bits", "apply to one preset, not to a mixed precision", "embed", "--in", "@sentences.txt", "--out", "@E.npy", "--precision", "*=int8", "--bits", "4"),
                // ---- search (every cell fails before the model loads)
                cell("search", "--budget 1.5", "--budget must be a min cosine in (0, 1], got 1.5", "search", "--budget", "1.5"),
                cell("search", "--budget 0", "--budget must be a min cosine in (0, 1], got 0.0", "search", "--budget", "0"),
                cell("search", "--sweep not a number", "--sweep: 'high' is not a number", "search", "--sweep", "0.9,high"),
                cell("search", "--sweep 2", "--sweep must be a min cosine in (0, 1], got 2.0", "search", "--sweep", "2"),
                cell("search", "unknown candidate", "unknown precision 'fp9'", "search", "--candidates", "int8,fp9"),
                cell("search", "candidate without a bit count", "no storage-bit count for precision 'bfp-fast'", "search", "--candidates", "bfp-fast"),
                cell("search", "gptq-w4 candidate", "gptq-w4 needs calibration", "search", "--candidates", "gptq-w4"),
                cell("search", "empty candidate", "--candidates: empty name", "search", "--candidates", "int8,,fp8"),
                cell("search", "--calib 0", "--calib must be in 1..64, got 0", "search", "--calib", "0"),
                cell("search", "--calib 65", "--calib must be in 1..64, got 65", "search", "--calib", "65"),
                cell("search", "--calib-file missing", "missing.txt: no such file", "search", "--calib-file", "@missing.txt"),
                cell("search", "--calib-file empty", "empty.txt: no sentences", "search", "--calib-file", "@empty.txt"),
                cell("search", "--eval non-UTF-8", "latin1.txt: not valid UTF-8", "search", "--eval", "@latin1.txt"),
                cell("search", "--threads 0", "--threads must be >= 1, got 0", "search", "--threads", "0"),
                cell("search", "--refine -1", "--refine must be >= 0, got -1", "search", "--refine", "-1"),
                cell("search", "--ref-length 0", "--ref-length must be >= 1, got 0", "search", "--ref-length", "0"),
                cell("search", "--out in a missing directory", "does not exist", "search", "--out", "@nodir/policy.txt"),
                cell("search", "--plot not .png", "use a .png file name", "search", "--plot", "@pareto.svg"),
                // ---- minilm-gemm (every cell fails before the model loads)
                cell("minilm-gemm", "--layer 6", "--layer must be in 0..5, got 6", "minilm-gemm", "--layer", "6", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "--layer -1", "--layer must be in 0..5, got -1", "minilm-gemm", "--layer", "-1", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "unknown --weight", "unknown --weight 'bias'", "minilm-gemm", "--weight", "bias", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "missing file", "missing.txt: no such file", "minilm-gemm", "--in", "@missing.txt", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "directory instead of file", "adir", "minilm-gemm", "--in", "@adir", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "empty file", "empty.txt: no sentences", "minilm-gemm", "--in", "@empty.txt", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "non-UTF-8 text", "latin1.txt: not valid UTF-8", "minilm-gemm", "--in", "@latin1.txt", "--out-lhs", "@X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "--out-lhs in a missing directory", "--out-lhs", "minilm-gemm", "--out-lhs", "@nodir/X.npy", "--out-rhs", "@Wq.npy"),
                cell("minilm-gemm", "--out-rhs under a regular file", "--out-rhs", "minilm-gemm", "--out-lhs", "@X.npy", "--out-rhs", "@notes.txt/W.npy"),
                // ---- train (every cell fails before training starts)
                cell("train", "--steps -5", "--steps must be >= 1, got -5", trainArgs("--policy", "fp32", "--steps", "-5")),
                cell("train", "--steps 0", "--steps must be >= 1, got 0", trainArgs("--policy", "fp32", "--steps", "0")),
                cell("train", "--batch 0", "--batch must be >= 1, got 0", trainArgs("--policy", "fp32", "--batch", "0")),
                cell("train", "--clip -1", "--clip must be a finite number >= 0 (0: no clipping), got -1.0", trainArgs("--policy", "fp32", "--clip", "-1")),
                cell("train", "--warmup 0", "--warmup must be >= 1, got 0", trainArgs("--policy", "fp32", "--warmup", "0")),
                cell("train", "inference-only preset", "policy 'gptq-w4' is inference-only", trainArgs("--policy", "gptq-w4")),
                cell("train", "fp: with a block format", "policy 'fp:mxfp4': fp: takes a minifloat eXmY", trainArgs("--policy", "fp:mxfp4")),
                cell("train", "fp: with an unknown format", "policy 'fp:e2x1': unknown format 'e2x1'", trainArgs("--policy", "fp:e2x1")),
                cell("train", "--context 1", "--context must be >= 2, got 1", trainArgs("--policy", "fp32", "--context", "1")),
                cell("train", "--dim not a multiple of --heads", "--dim 10 is not a multiple of --heads 4", trainArgs("--policy", "fp32", "--dim", "10", "--heads", "4")),
                cell("train", "--lr -1", "--lr must be positive, got -1.0", trainArgs("--policy", "fp32", "--lr", "-1")),
                cell("train", "--threads 0", "--threads must be >= 1, got 0", trainArgs("--policy", "fp32", "--threads", "0")),
                cell("train", "--bits 1", "1", trainArgs("--policy", "imunpack", "--bits", "1")),
                cell("train", "--bits 17", "17", trainArgs("--policy", "imunpack", "--bits", "17")),
                cell("train", "unknown --policy", "unknown policy 'fp64'", trainArgs("--policy", "fp64")),
                cell("train", "--policy NAME:L, even L", "policy 'imunpack:2'", trainArgs("--policy", "imunpack:2")),
                cell("train", "--policy NAME:L, L not a number", "policy 'imunpack:abc'", trainArgs("--policy", "imunpack:abc")),
                cell("train", "--policy NAME:L, L too large", "policy 'imunpack:99999999999'", trainArgs("--policy", "imunpack:99999999999")),
                cell("train", "--policy NAME:L on a policy without levels", "policy 'fp8:7'", trainArgs("--policy", "fp8:7")),
                cell("train", "unknown policy in --policies", "unknown policy 'nope'", trainArgs("--policies", "fp32,nope")),
                cell("train", "unknown --task", "unknown task 'mnist'", "train", "--task", "mnist", "--policy", "fp32"),
                cell("train", "--out under a regular file", "notes.txt is not a directory", trainArgs("--policy", "fp32", "--out", "@notes.txt/run.json")),
                cell("train", "--plot in a missing directory", "does not exist", trainArgs("--policy", "fp32", "--plot", "@nodir/loss.png")),
                cell("train", "--checkpoint under a regular file", "notes.txt", trainArgs("--policy", "fp32", "--checkpoint", "@notes.txt/ckpt")),
                cell("train", "--from missing file", "missing.json: no such file", "train", "--task", "kjv-gpt", "--from", "@missing.json"),
                cell("train", "--from directory", "adir", "train", "--task", "kjv-gpt", "--from", "@adir"),
                cell("train", "--from empty file", "empty.txt", "train", "--task", "kjv-gpt", "--from", "@empty.txt"),
                cell("train", "--from not JSON", "not.json", "train", "--task", "kjv-gpt", "--from", "@not.json"),
                cell("train", "--from non-UTF-8", "latin1.txt", "train", "--task", "kjv-gpt", "--from", "@latin1.txt"),
                cell("train", "--data missing directory (fashion-vit)", "nodir", "train", "--task", "fashion-vit", "--policy", "fp32", "--steps", "1", "--data", "@nodir"),
                // ---- bench gemm / bench embed: option validation only
                cell("bench gemm", "--threads 0", "--threads must be at least 1, got 0", "bench", "gemm", "--threads", "0"),
                cell("bench gemm", "--reps 0", "--reps must be", "bench", "gemm", "--reps", "0"),
                cell("bench gemm", "unknown --layout", "--layout must be nt or nn, got 'tt'", "bench", "gemm", "--layout", "tt"),
                cell("bench gemm", "unknown --only entry", "unknown entry 'cublas'", "bench", "gemm", "--only", "cublas"),
                cell("bench gemm", "--shape 2-D", "shape must be MxNxK", "bench", "gemm", "--shape", "8x8"),
                cell("bench gemm", "--shape 0", "shape must be MxNxK with positive integers", "bench", "gemm", "--shape", "0x8x8"),
                cell("bench embed", "--batch 0", "--batch must be >= 1, got 0", "bench", "embed", "--batch", "0"),
                cell("bench embed", "--seq 1", "--seq must be in 2..512 (it counts [CLS] and [SEP]), got 1", "bench", "embed", "--seq", "1"),
                cell("bench embed", "--levels 1", "--levels must be >= 2, got 1", "bench", "embed", "--levels", "1"),
                cell("bench embed", "--threads 0", "--threads must be >= 1, got 0", "bench", "embed", "--threads", "0"),
                cell("bench embed", "unknown --modes", "unknown mode 'gpu'", "bench", "embed", "--modes", "gpu"));
    }

    static String[] trainArgs(String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--task", "kjv-gpt"));
        List<String> cellOptions = List.of(extra);
        for (int i = 0; i < TINY.length; i += 2) {
            if (!cellOptions.contains(TINY[i])) { // the cell's value replaces TINY's (picocli takes an option once)
                a.add(TINY[i]);
                a.add(TINY[i + 1]);
            }
        }
        a.addAll(cellOptions);
        return a.toArray(String[]::new);
    }

    /** {@code --backend cuda} where it cannot run (no GPU or no CUDA libraries: every CI machine) is the same one-line error. */
    @Test
    void cudaWithoutAGpuIsOneLineExitTwo() throws IOException {
        assumeFalse(Cuda.available(), "this machine has a usable GPU");
        badInputIsOneLineExitTwoAndWritesNothing("unpack", "--backend cuda without a GPU", "GEMM backend 'cuda' is not available here",
                new String[] {"unpack", "--lhs", "@A.npy", "--rhs", "@W.npy", "--backend", "cuda", "--bits", "4", "--strategy", "row"});
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("matrix")
    void badInputIsOneLineExitTwoAndWritesNothing(String verb, String bad, String fragment, String[] args) throws IOException {
        String[] real = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            real[i] = args[i].startsWith("@") ? dir.resolve(args[i].substring(1)).toString() : args[i];
        }
        Map<String, String> before = snapshot();
        CliTest.Run r = CliTest.run(real);
        String err = r.err().strip();
        String shown = err.replace(dir.toString() + "/", "").replace(dir.toString(), ".");
        REPORT.add("| `" + verb + "` | " + bad + " | `" + shown.replace("|", "\\|") + "` |");
        assertThat(r.code()).as(err).isEqualTo(2);
        assertThat(err.lines()).as(err).hasSize(1);
        assertThat(err).startsWith("lowbit: ").contains(fragment).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).as("nothing on stdout").isEmpty();
        assertThat(snapshot()).as("no file created, modified or removed").isEqualTo(before);
    }

    /** Every file under the fixture directory with a hash of its content. */
    static Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String key = dir.relativize(p).toString();
                if (Files.isRegularFile(p)) {
                    m.put(key, sha256(p) + " " + Files.getLastModifiedTime(p).toMillis());
                } else {
                    m.put(key, "dir");
                }
            }
        }
        return m;
    }

    private static String sha256(Path p) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
