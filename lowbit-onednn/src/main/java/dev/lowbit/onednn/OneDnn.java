package dev.lowbit.onednn;

import dev.lowbit.LowbitException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * oneDNN's BLAS-like integer and float GEMMs, bound with FFM ({@code java.lang.foreign}); no JNI and no JavaCPP classes —
 * the JavaCPP jar is used only as a carrier of {@code libdnnl.so.3} and its {@code libgomp.so.1}.
 *
 * <p>Discovery happens once, lazily, and never throws: {@link #get()} is empty and {@link #unavailableReason()} says why in
 * one line when the platform is not Linux x86-64, the resources are missing or the library does not load. The library comes
 * from {@code -Dlowbit.onednn.path} or {@code $LOWBIT_ONEDNN} (a {@code libdnnl.so.*}, with {@code libgomp.so.1} beside it or
 * on the system), else from the class path, extracted once into {@code ${lowbit.cache.dir:-$XDG_CACHE_HOME or ~/.cache}/lowbit/
 * onednn-VERSION/}: each file is written to a temporary name in that directory and renamed atomically, so two JVMs extracting
 * at once both end up mapping a complete file. Where the cache is not writable a fresh temporary directory is used.
 *
 * <p>Unless the environment already says otherwise, discovery sets {@code OMP_WAIT_POLICY=PASSIVE} before libgomp starts
 * ({@link #waitPassively}): libgomp's default spin-waiting would take the cores from lowbit's Java threads after every GEMM.
 * Set {@code OMP_WAIT_POLICY=ACTIVE} to keep the spinning (faster back-to-back small multi-threaded calls on an idle machine).
 *
 * <p>Two downcall variants exist per GEMM. The <b>heap</b> variant is {@link Linker.Option#critical critical} with heap
 * access, so {@code byte[]}/{@code int[]}/{@code float[]} are passed by address without a copy; the JVM cannot reach a
 * safepoint while it runs (a GC waits for the GEMM), which is why {@link OneDnnGemmBackend} cuts its GEMMs into calls of about
 * 2^30 multiply-adds (a few ms). Measured at 4096×1536×384 the two variants run at the same speed (OneDnnBench). The
 * <b>native</b> variant takes off-heap segments and is an ordinary (safepoint-friendly) downcall.
 */
public final class OneDnn {
    /** The oneDNN release this module ships (the {@code dnnl.version} of the build, e.g. {@code 3.11-1.5.13}). */
    public static final String VERSION = version();

    private static final String RESOURCE_DIR = "/org/bytedeco/dnnl/linux-x86_64/";
    private static final String DNNL = "libdnnl.so.3";
    private static final String GOMP = "libgomp.so.1";

    /** {@code dnnl_cpu_isa_t} values and names (dnnl_types.h of oneDNN 3.11); the values are masks of feature bits. */
    private static final int[] ISA_VALUES = {0x0, 0x1, 0x3, 0x7, 0xf, 0x1f, 0x27, 0x67, 0xe7, 0x1ef, 0xfef, 0x1fef, 0x201ff, 0x22fff};
    private static final String[] ISA_NAMES = {"default", "sse41", "avx", "avx2", "avx2_vnni", "avx2_vnni_2", "avx512_core",
        "avx512_core_vnni", "avx512_core_bf16", "avx10_1_512", "avx10_1_512_amx", "avx10_1_512_amx_fp16", "avx10_2_512",
        "avx10_2_512_amx_2"};
    /** The mask bits of {@code avx2_vnni} (0x8) and {@code avx512_core_vnni} (0x40); every VNNI-capable ISA has one of them. */
    private static final int VNNI_BITS = 0x8 | 0x40;

    private static volatile Object loaded; // OneDnn or String (the reason)

    private final Path library;
    private final MethodHandle s8s8Heap;
    private final MethodHandle s8s8Native;
    private final MethodHandle u8s8Heap;
    private final MethodHandle u8s8Native;
    private final MethodHandle sgemmHeap;
    private final MethodHandle sgemmNative;
    private final MethodHandle setMaxIsa;
    private final MethodHandle setThreads; // null when the library's OpenMP runtime was not found
    private final MethodHandle maxThreads;
    private final int isa;
    private final MemorySegment zeroOffset; // the single C offset 0 (offsetc = 'F'), for native calls
    private static final int[] ZERO_OFFSET = {0}; // the same for heap calls (never written by oneDNN)
    private int exactBits = -1; // verified by the self-test, lazily
    private String selfTestReport;

    private OneDnn(Path library, SymbolLookup dnnl, SymbolLookup gomp) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfByte ch = ValueLayout.JAVA_BYTE;
        ValueLayout.OfLong dim = ValueLayout.JAVA_LONG;
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        var p = ValueLayout.ADDRESS;
        FunctionDescriptor intGemm = FunctionDescriptor.of(i, ch, ch, ch, dim, dim, dim, f, p, dim, ch, p, dim, ch, f, p, dim, p);
        FunctionDescriptor sgemm = FunctionDescriptor.of(i, ch, ch, dim, dim, dim, f, p, dim, p, dim, f, p, dim);
        Linker.Option critical = Linker.Option.critical(true);
        MemorySegment s8 = find(dnnl, "dnnl_gemm_s8s8s32");
        MemorySegment u8 = find(dnnl, "dnnl_gemm_u8s8s32");
        MemorySegment sg = find(dnnl, "dnnl_sgemm");
        s8s8Heap = linker.downcallHandle(s8, intGemm, critical);
        s8s8Native = linker.downcallHandle(s8, intGemm);
        u8s8Heap = linker.downcallHandle(u8, intGemm, critical);
        u8s8Native = linker.downcallHandle(u8, intGemm);
        sgemmHeap = linker.downcallHandle(sg, sgemm, critical);
        sgemmNative = linker.downcallHandle(sg, sgemm);
        setMaxIsa = linker.downcallHandle(find(dnnl, "dnnl_set_max_cpu_isa"), FunctionDescriptor.of(i, i));
        MethodHandle getIsa = linker.downcallHandle(find(dnnl, "dnnl_get_effective_cpu_isa"), FunctionDescriptor.of(i));
        Optional<MemorySegment> set = gomp == null ? Optional.empty() : gomp.find("omp_set_num_threads");
        Optional<MemorySegment> max = gomp == null ? Optional.empty() : gomp.find("omp_get_max_threads");
        setThreads = set.map(s -> linker.downcallHandle(s, FunctionDescriptor.ofVoid(i))).orElse(null);
        maxThreads = max.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(i))).orElse(null);
        zeroOffset = Arena.global().allocate(ValueLayout.JAVA_INT);
        try {
            isa = (int) getIsa.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("dnnl_get_effective_cpu_isa failed: " + e, e);
        }
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " not found"));
    }

    /** The library, loaded on the first call; empty (see {@link #unavailableReason}) when it cannot be. */
    public static Optional<OneDnn> get() {
        return load() instanceof OneDnn d ? Optional.of(d) : Optional.empty();
    }

    /** Why {@link #get} is empty, in one line; null when the library is loaded. */
    public static String unavailableReason() {
        return load() instanceof String s ? s : null;
    }

    private static Object load() {
        Object l = loaded;
        if (l == null) {
            synchronized (OneDnn.class) {
                l = loaded;
                if (l == null) {
                    try {
                        l = discover();
                    } catch (Exception | LinkageError e) { // discovery never throws, whatever went wrong
                        l = "oneDNN could not be loaded: " + oneLine(e);
                    }
                    loaded = l;
                }
            }
        }
        return l;
    }

    /** One discovery attempt: a {@link OneDnn} or the reason (a String); package-private for tests. */
    static Object discover() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        String explicit = System.getProperty("lowbit.onednn.path");
        String origin = "-Dlowbit.onednn.path";
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv("LOWBIT_ONEDNN");
            origin = "$LOWBIT_ONEDNN";
        }
        if (explicit != null && !explicit.isBlank()) {
            Path lib = Path.of(explicit.strip()).toAbsolutePath();
            if (!Files.isRegularFile(lib)) {
                return "oneDNN library " + lib + " (from " + origin + ") does not exist";
            }
            Path gomp = lib.resolveSibling(GOMP);
            return open(lib, Files.isRegularFile(gomp) ? gomp : null);
        }
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "the bundled oneDNN is for Linux x86-64 only (this is " + os + " " + arch + "; set -Dlowbit.onednn.path to a libdnnl.so)";
        }
        URL dnnl = OneDnn.class.getResource(RESOURCE_DIR + DNNL);
        URL gomp = OneDnn.class.getResource(RESOURCE_DIR + GOMP);
        if (dnnl == null || gomp == null) {
            return "oneDNN resources " + RESOURCE_DIR.substring(1) + DNNL + " and " + GOMP
                    + " are not on the class path (add org.bytedeco:dnnl:" + VERSION + ":linux-x86_64)";
        }
        Path dir;
        Path gompFile;
        Path dnnlFile;
        try {
            dir = cacheDir();
            gompFile = extract(gomp, dir, GOMP);
            dnnlFile = extract(dnnl, dir, DNNL);
        } catch (IOException e) {
            try { // the cache is not writable: a private temporary directory, removed when the JVM exits
                dir = Files.createTempDirectory("lowbit-onednn-");
                dir.toFile().deleteOnExit();
                gompFile = extract(gomp, dir, GOMP);
                dnnlFile = extract(dnnl, dir, DNNL);
                gompFile.toFile().deleteOnExit();
                dnnlFile.toFile().deleteOnExit();
            } catch (IOException e2) {
                return "oneDNN could not be extracted (" + oneLine(e) + "; temporary directory: " + oneLine(e2) + ")";
            }
        }
        return open(dnnlFile, gompFile);
    }

    /** {@code ${lowbit.cache.dir:-$XDG_CACHE_HOME or ~/.cache}/lowbit/onednn-VERSION}, created if needed. */
    static Path cacheDir() throws IOException {
        String base = System.getProperty("lowbit.cache.dir");
        Path root;
        if (base != null && !base.isBlank()) {
            root = Path.of(base.strip());
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            root = xdg != null && !xdg.isBlank() ? Path.of(xdg.strip()) : Path.of(System.getProperty("user.home"), ".cache");
        }
        Path dir = root.resolve("lowbit").resolve("onednn-" + VERSION);
        Files.createDirectories(dir);
        return dir;
    }

    /**
     * Copies a resource to {@code dir/name} unless a file of the same size is already there. The copy goes to a temporary
     * file in the same directory and is then renamed over the target in one atomic step, so a concurrent reader (another JVM
     * mapping the library) sees either no file or a complete one, never a partial write.
     */
    static Path extract(URL resource, Path dir, String name) throws IOException {
        Path target = dir.resolve(name);
        URLConnection c = resource.openConnection();
        c.setUseCaches(false); // a cached JarFile would stay open (and locked) for the JVM's lifetime
        long size = c.getContentLengthLong();
        if (size >= 0 && Files.isRegularFile(target) && Files.size(target) == size) {
            c.getInputStream().close();
            return target;
        }
        Path tmp = Files.createTempFile(dir, name + ".", ".tmp");
        try {
            try (InputStream in = c.getInputStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            if (size >= 0 && Files.size(tmp) != size) {
                throw new IOException("short read of " + name + ": " + Files.size(tmp) + " of " + size + " bytes");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** libgomp first (by absolute path, so libdnnl's {@code NEEDED libgomp.so.1} is satisfied by it), then libdnnl. */
    private static Object open(Path dnnl, Path gomp) {
        try {
            waitPassively();
            SymbolLookup g = gomp == null ? null : SymbolLookup.libraryLookup(gomp, Arena.global());
            SymbolLookup d = SymbolLookup.libraryLookup(dnnl, Arena.global());
            if (g == null) { // the system's OpenMP runtime, if libdnnl pulled one in
                try {
                    g = SymbolLookup.libraryLookup(GOMP, Arena.global());
                } catch (IllegalArgumentException e) {
                    g = null;
                }
            }
            return new OneDnn(dnnl, d, g);
        } catch (Exception | LinkageError e) {
            return "oneDNN " + dnnl + " could not be loaded: " + oneLine(e);
        }
    }

    /**
     * Sets {@code OMP_WAIT_POLICY=PASSIVE} in the process environment before libgomp reads it (when it is loaded), unless the
     * user set {@code OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT}. Why: by default libgomp's idle workers spin for about
     * 300 000 {@code pause}s (milliseconds on recent Xeons) after every parallel region, taking the cores that lowbit's Java
     * threads need next (the epilogue, the float32 GEMMs and element-wise kernels of the same forward pass); on a loaded
     * machine a team member that gets descheduled turns each small GEMM into a scheduler time slice. Measured on a 2-vCPU VM
     * under load, 2 200 GEMMs of 256×192×256 took 12.2 s active and 0.58 s passive. The price, a wake-up per multi-threaded
     * call (about 60 µs on that VM), is why {@link OneDnnGemmBackend} runs small GEMMs on one thread. Only the C environment
     * changes ({@code setenv}); Java's view of it and child processes' are untouched.
     */
    private static void waitPassively() {
        if (System.getenv("OMP_WAIT_POLICY") != null || System.getenv("GOMP_SPINCOUNT") != null) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) {
            return;
        }
        MethodHandle h = linker.downcallHandle(setenv.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) { // setenv copies both strings
            int rc = (int) h.invokeExact(arena.allocateFrom("OMP_WAIT_POLICY"), arena.allocateFrom("PASSIVE"), 0);
            assert rc == 0;
        } catch (Throwable e) {
            // leave the environment as it is: only speed depends on it
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ").strip();
    }

    private static String version() {
        Properties p = new Properties();
        try (InputStream in = OneDnn.class.getResourceAsStream("onednn.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to the default
        }
        return p.getProperty("dnnl.version", "unknown");
    }

    /** The loaded {@code libdnnl.so} file. */
    public Path library() {
        return library;
    }

    /** The raw {@code dnnl_cpu_isa_t} value oneDNN dispatches to (after {@code ONEDNN_MAX_CPU_ISA}). */
    public int isaValue() {
        return isa;
    }

    /** Name of the effective ISA, as in dnnl_types.h without the {@code dnnl_cpu_isa_} prefix (e.g. {@code avx512_core_vnni}). */
    public String isa() {
        return isaName(isa);
    }

    static String isaName(int value) {
        for (int i = 0; i < ISA_VALUES.length; i++) {
            if (ISA_VALUES[i] == value) {
                return ISA_NAMES[i];
            }
        }
        return String.format(Locale.ROOT, "isa_0x%x", value);
    }

    /**
     * Whether the integer kernels use the VNNI dot products ({@code vpdpbusd}: four u8·s8 products summed straight into int32,
     * no intermediate saturation) or AMX tiles (int32 accumulation) — as opposed to AVX2/AVX-512's {@code vpmaddubsw}, whose
     * pair sums saturate at int16.
     */
    public boolean hasVnni() {
        return hasVnni(isa);
    }

    static boolean hasVnni(int isaValue) {
        return (isaValue & VNNI_BITS) != 0;
    }

    /**
     * Operand bits that the effective ISA executes exactly by construction (before the {@link OneDnnGemmBackend} self-test):
     * 8 with VNNI/AMX (|x| ≤ 127); 7 without, because oneDNN runs s8·s8 as (a + 128)·b with {@code vpmaddubsw}, whose adjacent
     * product pairs saturate at int16 unless 2·191·63 ≤ 32767, i.e. |x| ≤ 63 on both sides.
     */
    public int isaExactBits() {
        return hasVnni() ? 8 : 7;
    }

    /**
     * The widest operands (bits b: |x| ≤ 2^(b−1) − 1) whose int8 GEMM the {@link #selfTest} proved exact here: the ISA's
     * {@link #isaExactBits}, or 7 if that failed (pairs saturating at int16 on a kernel the ISA rule did not foresee), or 0
     * (no exact width: the backend is unavailable). Runs the self-test on the first call.
     */
    public synchronized int maxExactBits() {
        if (exactBits < 0) {
            StringBuilder report = new StringBuilder();
            int bits = 0;
            for (int b = isaExactBits(); b >= 7; b--) {
                String bad = selfTest(b);
                if (bad == null) {
                    bits = b;
                    report.append("exact at b = ").append(b).append(" on ").append(isa());
                    break;
                }
                report.append("not exact: ").append(bad).append("; ");
            }
            if (bits == 0) {
                report.append("no exact width on ").append(isa());
            }
            selfTestReport = report.toString();
            exactBits = bits;
        }
        return exactBits;
    }

    /** What the self-test behind {@link #maxExactBits} found, in one line. */
    public synchronized String selfTestReport() {
        maxExactBits();
        return selfTestReport;
    }

    /**
     * Runs the exactness self-test at {@code bits} (2..8): null when every edge case equals the scalar {@code long}
     * reference, else a one-line description of the first mismatch (or of the oneDNN error).
     */
    public String selfTest(int bits) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("int8 GEMMs take 2..8-bit operands, not " + bits);
        }
        try {
            return SelfTest.check(this, bits);
        } catch (RuntimeException e) {
            return "b = " + bits + ": " + oneLine(e);
        }
    }

    /**
     * Limits the ISA oneDNN may use ({@code dnnl_set_max_cpu_isa}); oneDNN accepts this only before its first dispatch (and
     * discovery already queries the ISA), so this mostly reports that it is too late — use {@code ONEDNN_MAX_CPU_ISA} instead.
     *
     * @return the dnnl_status_t (0 = success)
     */
    public int setMaxCpuIsa(int isaValue) {
        try {
            return (int) setMaxIsa.invokeExact(isaValue);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@link #setThreads} has an OpenMP runtime to talk to. */
    public boolean hasThreadControl() {
        return setThreads != null;
    }

    /**
     * Sets the OpenMP team size for GEMMs called from <b>this</b> Java thread ({@code omp_set_num_threads} sets the calling
     * thread's ICV, so every Java thread has its own); a no-op without an OpenMP runtime.
     */
    public void setThreads(int threads) {
        if (setThreads != null) {
            try {
                setThreads.invokeExact(Math.max(1, threads));
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** {@code omp_get_max_threads()} for this Java thread; 1 without an OpenMP runtime. */
    public int maxThreads() {
        if (maxThreads == null) {
            return 1;
        }
        try {
            return (int) maxThreads.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code C = A·Bᵀ} with int8 operands and int32 results (alpha 1, beta 0, no offsets): A m×k at {@code a[aOff + i·lda + p]},
     * B n×k at {@code b[bOff + j·ldb + p]}, C m×n at {@code c[cOff + i·ldc + j]}. Heap arrays go to oneDNN by address.
     */
    public void gemmS8S8S32(int m, int n, int k, byte[] a, int aOff, int lda, byte[] b, int bOff, int ldb, int[] c, int cOff, int ldc) {
        if (empty(m, n, k, c, cOff, ldc)) {
            return;
        }
        checkInt(m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        int st;
        try {
            st = (int) s8s8Heap.invokeExact((byte) 'N', (byte) 'T', (byte) 'F', (long) m, (long) n, (long) k, 1f,
                    MemorySegment.ofArray(a).asSlice(aOff), (long) lda, (byte) 0, MemorySegment.ofArray(b).asSlice(bOff), (long) ldb,
                    (byte) 0, 0f, MemorySegment.ofArray(c).asSlice(4L * cOff), (long) ldc, MemorySegment.ofArray(ZERO_OFFSET));
        } catch (Throwable e) {
            throw new LowbitException("dnnl_gemm_s8s8s32 failed: " + oneLine(e), e);
        }
        check("dnnl_gemm_s8s8s32", st);
    }

    /**
     * As {@link #gemmS8S8S32} with A unsigned: {@code C = (A − aZero)·Bᵀ}, A's bytes read as 0..255 and {@code aZero} (0..255)
     * subtracted by oneDNN. With {@code aZero = 128} and A's entries stored as {@code x + 128} this is the signed product.
     */
    public void gemmU8S8S32(int m, int n, int k, byte[] a, int aOff, int lda, int aZero, byte[] b, int bOff, int ldb, int[] c, int cOff,
                            int ldc) {
        if (empty(m, n, k, c, cOff, ldc)) {
            return;
        }
        checkInt(m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        int st;
        try {
            st = (int) u8s8Heap.invokeExact((byte) 'N', (byte) 'T', (byte) 'F', (long) m, (long) n, (long) k, 1f,
                    MemorySegment.ofArray(a).asSlice(aOff), (long) lda, (byte) aZero, MemorySegment.ofArray(b).asSlice(bOff), (long) ldb,
                    (byte) 0, 0f, MemorySegment.ofArray(c).asSlice(4L * cOff), (long) ldc, MemorySegment.ofArray(ZERO_OFFSET));
        } catch (Throwable e) {
            throw new LowbitException("dnnl_gemm_u8s8s32 failed: " + oneLine(e), e);
        }
        check("dnnl_gemm_u8s8s32", st);
    }

    /** {@code C = A·Bᵀ} in float32 (oneDNN's own summation order, so not bit-identical to lowbit's kernels). */
    public void sgemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
            return;
        }
        checkInt(m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        int st;
        try {
            st = (int) sgemmHeap.invokeExact((byte) 'N', (byte) 'T', (long) m, (long) n, (long) k, 1f,
                    MemorySegment.ofArray(a).asSlice(4L * aOff), (long) lda, MemorySegment.ofArray(b).asSlice(4L * bOff), (long) ldb,
                    0f, MemorySegment.ofArray(c).asSlice(4L * cOff), (long) ldc);
        } catch (Throwable e) {
            throw new LowbitException("dnnl_sgemm failed: " + oneLine(e), e);
        }
        check("dnnl_sgemm", st);
    }

    /** {@link #gemmS8S8S32} on off-heap segments (an ordinary downcall: safepoints may happen while it runs). */
    public void gemmS8S8S32(int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment c, int ldc) {
        if (empty(m, n, k, c, ldc)) {
            return;
        }
        int st;
        try {
            st = (int) s8s8Native.invokeExact((byte) 'N', (byte) 'T', (byte) 'F', (long) m, (long) n, (long) k, 1f, a, (long) lda, (byte) 0,
                    b, (long) ldb, (byte) 0, 0f, c, (long) ldc, zeroOffset);
        } catch (Throwable e) {
            throw new LowbitException("dnnl_gemm_s8s8s32 failed: " + oneLine(e), e);
        }
        check("dnnl_gemm_s8s8s32", st);
    }

    /** {@link #gemmU8S8S32} on off-heap segments. */
    public void gemmU8S8S32(int m, int n, int k, MemorySegment a, int lda, int aZero, MemorySegment b, int ldb, MemorySegment c, int ldc) {
        if (empty(m, n, k, c, ldc)) {
            return;
        }
        int st;
        try {
            st = (int) u8s8Native.invokeExact((byte) 'N', (byte) 'T', (byte) 'F', (long) m, (long) n, (long) k, 1f, a, (long) lda,
                    (byte) aZero, b, (long) ldb, (byte) 0, 0f, c, (long) ldc, zeroOffset);
        } catch (Throwable e) {
            throw new LowbitException("dnnl_gemm_u8s8s32 failed: " + oneLine(e), e);
        }
        check("dnnl_gemm_u8s8s32", st);
    }

    /** {@link #sgemm} on off-heap segments. */
    public void sgemm(int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment c, int ldc) {
        if (empty(m, n, k, c, ldc)) { // 0.0f and int 0 share their bits
            return;
        }
        int st;
        try {
            st = (int) sgemmNative.invokeExact((byte) 'N', (byte) 'T', (long) m, (long) n, (long) k, 1f, a, (long) lda, b, (long) ldb, 0f,
                    c, (long) ldc);
        } catch (Throwable e) {
            throw new LowbitException("dnnl_sgemm failed: " + oneLine(e), e);
        }
        check("dnnl_sgemm", st);
    }

    /** m or n empty: nothing to write; k empty: C = 0 (oneDNN is not asked, its leading-dimension checks want k ≥ 1). */
    private static boolean empty(int m, int n, int k, int[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return true;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0);
            }
            return true;
        }
        return false;
    }

    /** As {@link #empty(int, int, int, int[], int, int)} for an off-heap C (4-byte elements). */
    private static boolean empty(int m, int n, int k, MemorySegment c, int ldc) {
        if (m == 0 || n == 0) {
            return true;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                c.asSlice(4L * i * ldc, 4L * n).fill((byte) 0);
            }
            return true;
        }
        return false;
    }

    /** Native code must never read or write outside the arrays: every extent is checked before the call. */
    private static void checkInt(int m, int n, int k, int aLen, int aOff, int lda, int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0 || lda < k || ldb < k || ldc < n || aOff < 0 || bOff < 0 || cOff < 0
                || aOff + (long) (m - 1) * lda + k > aLen || bOff + (long) (n - 1) * ldb + k > bLen
                || cOff + (long) (m - 1) * ldc + n > cLen) {
            throw new IllegalArgumentException("GEMM operands out of bounds: m " + m + ", n " + n + ", k " + k + ", lda " + lda
                    + ", ldb " + ldb + ", ldc " + ldc);
        }
    }

    private static void check(String fn, int status) {
        if (status != 0) {
            throw new LowbitException(fn + " returned status " + status + " (" + statusName(status) + ")");
        }
    }

    /** {@code dnnl_status_t} names (dnnl_common_types.h). */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "success";
            case 1 -> "out_of_memory";
            case 2 -> "invalid_arguments";
            case 3 -> "unimplemented";
            case 4 -> "last_impl_reached";
            case 5 -> "runtime_error";
            case 6 -> "not_required";
            case 7 -> "invalid_graph";
            case 8 -> "invalid_graph_op";
            case 9 -> "invalid_shape";
            case 10 -> "invalid_data_type";
            default -> "unknown";
        };
    }

    @Override
    public String toString() {
        return "oneDNN " + VERSION + " (" + library + ", isa " + isa() + ")";
    }
}
