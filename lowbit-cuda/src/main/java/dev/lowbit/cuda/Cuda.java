package dev.lowbit.cuda;

import dev.lowbit.LowbitException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The CUDA runtime ({@code libcudart}) and cuBLASLt ({@code libcublasLt}), bound with FFM ({@code java.lang.foreign}): no JNI
 * and no CUDA toolkit at build time.
 *
 * <p>Discovery happens once, lazily, and never throws: {@link #get()} is empty and {@link #unavailableReason()} says why in
 * one line when no library is found, none loads, no GPU is visible, or the start-up self-test fails. The libraries come from
 * the directory {@code -Dlowbit.cuda.path=DIR} or {@code $LOWBIT_CUDA_LIB=DIR} when set (nothing else is tried then), else
 * from the first of: {@code $LD_LIBRARY_PATH}, {@code $CUDA_HOME}/{@code $CUDA_PATH}, {@code /usr/local/cuda*}/lib64|lib,
 * the system library directories, the NVIDIA wheels that PyTorch installs ({@code site-packages/nvidia/*}/lib under the
 * Python prefixes: {@code /usr/lib/python3*}, {@code /usr/local/lib/python3*}, {@code ~/.local}, {@code $VIRTUAL_ENV},
 * {@code $CONDA_PREFIX}, {@code /opt/*}/{@code .venv}), and last the dynamic linker's own search ({@code ldconfig}).
 * {@code libcudart} and {@code libcublasLt} are searched independently (CUDA 12's wheels keep them in different folders,
 * CUDA 13's in one {@code nvidia/cu13/lib}).
 *
 * <p>Device memory is a {@link MemorySegment} of the device address whose owner is a Java {@link Arena}: {@link #malloc}
 * attaches {@code cudaFree} to the arena's close, so a {@code try (Arena arena = Arena.ofConfined())} frees everything the
 * block allocated. Never dereference such a segment on the host — it only carries the address and the size.
 * {@link #liveAllocations()} counts the allocations not yet freed (the leak tests read it).
 */
public final class Cuda {
    /** {@code cudaDataType_t} (library_types.h). */
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_8I = 3;
    public static final int CUDA_R_32I = 10;
    public static final int CUDA_R_16BF = 14;
    public static final int CUDA_R_8F_E4M3 = 28;
    /** {@code cublasComputeType_t} (cublas_api.h). */
    public static final int CUBLAS_COMPUTE_32F = 68;
    public static final int CUBLAS_COMPUTE_32I = 72;
    /** {@code cublasOperation_t}. */
    public static final int OP_N = 0;
    public static final int OP_T = 1;
    /** {@code cublasLtMatmulDescAttributes_t} (cublasLt.h). */
    static final int DESC_TRANSA = 3;
    static final int DESC_TRANSB = 4;
    /** {@code cublasLtMatmulPreferenceAttributes_t}. */
    static final int PREF_MAX_WORKSPACE_BYTES = 1;
    /** {@code cudaMemcpyKind}. */
    private static final int H2D = 1;
    private static final int D2H = 2;
    /** {@code cudaDeviceAttr}: compute capability, multiprocessors. */
    private static final int ATTR_CC_MAJOR = 75;
    private static final int ATTR_CC_MINOR = 76;
    private static final int ATTR_SMS = 16;
    /** {@code sizeof(cublasLtMatmulHeuristicResult_t)}: algo (8 × uint64), size_t workspaceSize, int state, float waves, int[4]. */
    static final long HEURISTIC_BYTES = 96;
    /** Workspace offered to cuBLASLt (the size PyTorch gives it on Hopper). */
    static final long WORKSPACE_BYTES = 32L << 20;

    private static volatile Object loaded; // Cuda or String (the reason)
    private static final AtomicLong LIVE = new AtomicLong();

    private final Path cudart;
    private final Path cublasLt;
    // runtime
    private final MethodHandle cudaMalloc;
    private final MethodHandle cudaFree;
    private final MethodHandle cudaMemcpy;
    private final MethodHandle cudaMemcpyHeap;
    private final MethodHandle cudaMemset;
    private final MethodHandle cudaDeviceSynchronize;
    private final MethodHandle cudaGetDeviceCount;
    private final MethodHandle cudaDeviceGetAttribute;
    private final MethodHandle cudaGetDeviceProperties; // may be null
    private final MethodHandle cudaMemGetInfo;
    private final MethodHandle cudaGetErrorString;
    private final MethodHandle cudaRuntimeGetVersion;
    private final MethodHandle cudaDriverGetVersion;
    private final MethodHandle cudaStreamCreate;
    private final MethodHandle cudaEventCreate;
    private final MethodHandle cudaEventRecord;
    private final MethodHandle cudaEventSynchronize;
    private final MethodHandle cudaEventElapsedTime;
    // cuBLASLt
    private final MethodHandle ltCreate;
    private final MethodHandle ltGetVersion;
    final MethodHandle ltMatmulDescCreate;
    final MethodHandle ltMatmulDescDestroy;
    final MethodHandle ltMatmulDescSetAttribute;
    final MethodHandle ltMatrixLayoutCreate;
    final MethodHandle ltMatrixLayoutDestroy;
    final MethodHandle ltMatmulPreferenceCreate;
    final MethodHandle ltMatmulPreferenceDestroy;
    final MethodHandle ltMatmulPreferenceSetAttribute;
    final MethodHandle ltMatmulAlgoGetHeuristic;
    final MethodHandle ltMatmul;

    private MemorySegment handle = MemorySegment.NULL; // cublasLtHandle_t
    private MemorySegment workspace = MemorySegment.NULL;
    private String device = "?";
    private int ccMajor;
    private int ccMinor;
    private int multiprocessors;
    private int runtimeVersion;
    private int driverVersion;
    private long ltVersion;

    private Cuda(Path cudart, SymbolLookup rt, Path cublasLt, SymbolLookup lt) {
        this.cudart = cudart;
        this.cublasLt = cublasLt;
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout.OfLong l = ValueLayout.JAVA_LONG; // size_t, uint64_t, int64_t on LP64
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        var p = ValueLayout.ADDRESS;
        cudaMalloc = down(linker, rt, "cudaMalloc", FunctionDescriptor.of(i, p, l));
        cudaFree = down(linker, rt, "cudaFree", FunctionDescriptor.of(i, p));
        cudaMemcpy = down(linker, rt, "cudaMemcpy", FunctionDescriptor.of(i, p, p, l, i));
        cudaMemcpyHeap = linker.downcallHandle(find(rt, "cudaMemcpy"), FunctionDescriptor.of(i, p, p, l, i),
                Linker.Option.critical(true));
        cudaMemset = down(linker, rt, "cudaMemset", FunctionDescriptor.of(i, p, i, l));
        cudaDeviceSynchronize = down(linker, rt, "cudaDeviceSynchronize", FunctionDescriptor.of(i));
        cudaGetDeviceCount = down(linker, rt, "cudaGetDeviceCount", FunctionDescriptor.of(i, p));
        cudaDeviceGetAttribute = down(linker, rt, "cudaDeviceGetAttribute", FunctionDescriptor.of(i, p, i, i));
        Optional<MemorySegment> props = rt.find("cudaGetDeviceProperties_v2").or(() -> rt.find("cudaGetDeviceProperties"));
        cudaGetDeviceProperties = props.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(i, p, i))).orElse(null);
        cudaMemGetInfo = down(linker, rt, "cudaMemGetInfo", FunctionDescriptor.of(i, p, p));
        cudaGetErrorString = down(linker, rt, "cudaGetErrorString", FunctionDescriptor.of(p, i));
        cudaRuntimeGetVersion = down(linker, rt, "cudaRuntimeGetVersion", FunctionDescriptor.of(i, p));
        cudaDriverGetVersion = down(linker, rt, "cudaDriverGetVersion", FunctionDescriptor.of(i, p));
        cudaStreamCreate = down(linker, rt, "cudaStreamCreate", FunctionDescriptor.of(i, p));
        cudaEventCreate = down(linker, rt, "cudaEventCreate", FunctionDescriptor.of(i, p));
        cudaEventRecord = down(linker, rt, "cudaEventRecord", FunctionDescriptor.of(i, p, p));
        cudaEventSynchronize = down(linker, rt, "cudaEventSynchronize", FunctionDescriptor.of(i, p));
        cudaEventElapsedTime = down(linker, rt, "cudaEventElapsedTime", FunctionDescriptor.of(i, p, p, p));
        ltCreate = down(linker, lt, "cublasLtCreate", FunctionDescriptor.of(i, p));
        ltGetVersion = down(linker, lt, "cublasLtGetVersion", FunctionDescriptor.of(l));
        ltMatmulDescCreate = down(linker, lt, "cublasLtMatmulDescCreate", FunctionDescriptor.of(i, p, i, i));
        ltMatmulDescDestroy = down(linker, lt, "cublasLtMatmulDescDestroy", FunctionDescriptor.of(i, p));
        ltMatmulDescSetAttribute = down(linker, lt, "cublasLtMatmulDescSetAttribute", FunctionDescriptor.of(i, p, i, p, l));
        ltMatrixLayoutCreate = down(linker, lt, "cublasLtMatrixLayoutCreate", FunctionDescriptor.of(i, p, i, l, l, l));
        ltMatrixLayoutDestroy = down(linker, lt, "cublasLtMatrixLayoutDestroy", FunctionDescriptor.of(i, p));
        ltMatmulPreferenceCreate = down(linker, lt, "cublasLtMatmulPreferenceCreate", FunctionDescriptor.of(i, p));
        ltMatmulPreferenceDestroy = down(linker, lt, "cublasLtMatmulPreferenceDestroy", FunctionDescriptor.of(i, p));
        ltMatmulPreferenceSetAttribute = down(linker, lt, "cublasLtMatmulPreferenceSetAttribute", FunctionDescriptor.of(i, p, i, p, l));
        ltMatmulAlgoGetHeuristic = down(linker, lt, "cublasLtMatmulAlgoGetHeuristic",
                FunctionDescriptor.of(i, p, p, p, p, p, p, p, i, p, p));
        ltMatmul = down(linker, lt, "cublasLtMatmul",
                FunctionDescriptor.of(i, p, p, p, p, p, p, p, p, p, p, p, p, p, p, l, p));
    }

    private static MethodHandle down(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(find(lookup, name), fd);
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " not found"));
    }

    // ---- discovery ----

    /** The libraries with a GPU behind them, loaded and self-tested on the first call; empty (see {@link #unavailableReason}). */
    public static Optional<Cuda> get() {
        return load() instanceof Cuda c ? Optional.of(c) : Optional.empty();
    }

    /** Whether a GPU runs lowbit's exact int8 GEMMs here (discovers on the first call; never throws). */
    public static boolean available() {
        return load() instanceof Cuda;
    }

    /** Why {@link #get} is empty, in one line; null when CUDA is usable. */
    public static String unavailableReason() {
        return load() instanceof String s ? s : null;
    }

    private static Object load() {
        Object l = loaded;
        if (l == null) {
            synchronized (Cuda.class) {
                l = loaded;
                if (l == null) {
                    try {
                        l = discover();
                    } catch (Throwable e) { // discovery never throws, whatever went wrong
                        l = "CUDA could not be loaded: " + oneLine(e);
                    }
                    loaded = l;
                }
            }
        }
        return l;
    }

    /** One discovery attempt: a {@link Cuda} or the reason (a String). */
    static Object discover() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return "the CUDA backend supports Linux only (this is " + System.getProperty("os.name") + ")";
        }
        String explicit = System.getProperty("lowbit.cuda.path");
        String origin = "-Dlowbit.cuda.path";
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv("LOWBIT_CUDA_LIB");
            origin = "$LOWBIT_CUDA_LIB";
        }
        List<Path> dirs;
        if (explicit != null && !explicit.isBlank()) {
            Path dir = Path.of(explicit.strip()).toAbsolutePath();
            if (!Files.isDirectory(dir)) {
                return "CUDA library directory " + dir + " (from " + origin + ") does not exist";
            }
            dirs = List.of(dir);
        } else {
            dirs = searchDirs();
        }
        Path rtPath = findLibrary(dirs, "libcudart.so");
        Path ltPath = findLibrary(dirs, "libcublasLt.so");
        Arena arena = Arena.global();
        SymbolLookup rt;
        SymbolLookup lt;
        try {
            rt = rtPath != null ? SymbolLookup.libraryLookup(rtPath, arena) : byName(arena, "libcudart.so");
            if (rt == null) {
                return "no libcudart.so found (searched " + dirs.size() + " directories and the system linker path); "
                        + "install the CUDA runtime or PyTorch, or set -Dlowbit.cuda.path=DIR / $LOWBIT_CUDA_LIB=DIR";
            }
            lt = ltPath != null ? SymbolLookup.libraryLookup(ltPath, arena) : byName(arena, "libcublasLt.so");
            if (lt == null) {
                return "no libcublasLt.so found (libcudart: " + (rtPath == null ? "system" : rtPath) + "; searched " + dirs.size()
                        + " directories); install cuBLAS (nvidia-cublas wheel or the CUDA toolkit), or set -Dlowbit.cuda.path=DIR";
            }
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return "CUDA libraries did not load: " + oneLine(e);
        }
        Cuda c = new Cuda(rtPath, rt, ltPath, lt);
        return c.init();
    }

    private static SymbolLookup byName(Arena arena, String base) {
        for (String name : new String[] {base, base + ".13", base + ".12", base + ".11"}) {
            try {
                return SymbolLookup.libraryLookup(name, arena);
            } catch (IllegalArgumentException e) {
                // not known to the dynamic linker under this name
            }
        }
        return null;
    }

    /** Where to look, in order (existing directories only, no duplicates). */
    static List<Path> searchDirs() {
        Set<Path> dirs = new LinkedHashSet<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String env : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String h = System.getenv(env);
            if (h != null && !h.isBlank()) {
                dirs.add(Path.of(h, "lib64"));
                dirs.add(Path.of(h, "lib"));
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.add(Path.of("/usr/local/cuda/lib"));
        for (Path cuda : glob(Path.of("/usr/local"), "cuda-*")) {
            dirs.add(cuda.resolve("lib64"));
            dirs.add(cuda.resolve("lib"));
            dirs.add(cuda.resolve("targets/x86_64-linux/lib"));
        }
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/usr/lib64"));
        dirs.add(Path.of("/usr/lib"));
        for (Path sp : sitePackages()) {
            for (Path pkg : glob(sp.resolve("nvidia"), "*")) {
                dirs.add(pkg.resolve("lib"));
            }
        }
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            if (Files.isDirectory(d)) {
                out.add(d);
            }
        }
        return out;
    }

    /** Python site-packages directories where PyTorch's NVIDIA wheels may live. */
    static List<Path> sitePackages() {
        Set<Path> prefixes = new LinkedHashSet<>();
        for (String env : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) {
                prefixes.add(Path.of(v));
            }
        }
        prefixes.add(Path.of("/usr"));
        prefixes.add(Path.of("/usr/local"));
        prefixes.add(Path.of(System.getProperty("user.home", "/root"), ".local"));
        for (Path opt : glob(Path.of("/opt"), "*")) {
            prefixes.add(opt);
            prefixes.add(opt.resolve(".venv"));
            prefixes.add(opt.resolve("venv"));
        }
        prefixes.add(Path.of("/opt/conda"));
        List<Path> out = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path lib : new Path[] {prefix.resolve("lib"), prefix.resolve("lib64")}) {
                for (Path py : glob(lib, "python3*")) {
                    for (String sp : new String[] {"site-packages", "dist-packages"}) {
                        Path d = py.resolve(sp);
                        if (Files.isDirectory(d)) {
                            out.add(d);
                        }
                    }
                }
            }
        }
        return out;
    }

    private static List<Path> glob(Path dir, String pattern) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, pattern)) {
            for (Path p : ds) {
                if (Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: skip
        }
        out.sort(null);
        return out;
    }

    /** The first {@code base} or {@code base.N...} in the directories (the highest version within a directory). */
    static Path findLibrary(List<Path> dirs, String base) {
        for (Path d : dirs) {
            Path exact = d.resolve(base);
            try (Stream<Path> files = Files.list(d)) {
                Optional<Path> best = files.filter(p -> {
                    String n = p.getFileName().toString();
                    return n.startsWith(base + ".") && n.substring(base.length() + 1).matches("[0-9.]+");
                }).filter(Files::isRegularFile).max((x, y) -> x.getFileName().toString().compareTo(y.getFileName().toString()));
                if (best.isPresent()) {
                    return best.get();
                }
            } catch (IOException | RuntimeException e) {
                // unreadable: skip
            }
            if (Files.isRegularFile(exact)) {
                return exact;
            }
        }
        return null;
    }

    /** Finds a device, creates the cuBLASLt handle and the workspace, runs the self-test: this or the reason. */
    private Object init() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            int err = (int) cudaGetDeviceCount.invokeExact(n);
            if (err != 0) {
                return "no usable CUDA GPU: cudaGetDeviceCount failed with " + errorName(err) + " (libcudart " + cudart + ")";
            }
            if (n.get(ValueLayout.JAVA_INT, 0) == 0) {
                return "no CUDA GPU visible (cudaGetDeviceCount = 0)";
            }
            ccMajor = attribute(a, ATTR_CC_MAJOR);
            ccMinor = attribute(a, ATTR_CC_MINOR);
            multiprocessors = attribute(a, ATTR_SMS);
            if (ccMajor < 7 || (ccMajor == 7 && ccMinor < 5)) {
                return "GPU compute capability " + ccMajor + "." + ccMinor + " has no int8 tensor cores for cuBLASLt (7.5 or newer needed)";
            }
            if (cudaGetDeviceProperties != null) {
                MemorySegment props = a.allocate(8192, 16); // larger than any cudaDeviceProp; name[256] comes first
                if ((int) cudaGetDeviceProperties.invokeExact(props, 0) == 0) {
                    device = props.getString(0);
                }
            }
            check((int) cudaRuntimeGetVersion.invokeExact(n), "cudaRuntimeGetVersion");
            runtimeVersion = n.get(ValueLayout.JAVA_INT, 0);
            check((int) cudaDriverGetVersion.invokeExact(n), "cudaDriverGetVersion");
            driverVersion = n.get(ValueLayout.JAVA_INT, 0);
            MemorySegment h = a.allocate(ValueLayout.ADDRESS);
            checkLt((int) ltCreate.invokeExact(h), "cublasLtCreate");
            handle = h.get(ValueLayout.ADDRESS, 0);
            ltVersion = (long) ltGetVersion.invokeExact();
            workspace = malloc(WORKSPACE_BYTES, Arena.global());
        } catch (Throwable e) {
            return "CUDA initialisation failed: " + oneLine(e);
        }
        String failure = Int8Gemm.selfTest(this);
        return failure == null ? this : "cuBLASLt int8 self-test failed on " + device + ": " + failure;
    }

    private int attribute(Arena a, int attr) throws Throwable {
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        check((int) cudaDeviceGetAttribute.invokeExact(v, attr, 0), "cudaDeviceGetAttribute");
        return v.get(ValueLayout.JAVA_INT, 0);
    }

    // ---- memory ----

    /**
     * {@code bytes} of device memory (at least 1), freed by {@code cudaFree} when {@code owner} closes. The segment holds the
     * device address: pass it (or {@code asSlice} of it) to CUDA calls, never read or write it from Java.
     */
    public MemorySegment malloc(long bytes, Arena owner) {
        MemorySegment ptr;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            check((int) cudaMalloc.invokeExact(out, Math.max(1, bytes)), "cudaMalloc(" + bytes + ")");
            ptr = out.get(ValueLayout.ADDRESS, 0);
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaMalloc failed: " + oneLine(e));
        }
        LIVE.incrementAndGet();
        try {
            return ptr.reinterpret(bytes, owner, Cuda.this::free);
        } catch (RuntimeException e) { // the arena is already closed: free now
            free(ptr);
            throw e;
        }
    }

    private void free(MemorySegment ptr) {
        try {
            int err = (int) cudaFree.invokeExact(ptr);
            LIVE.decrementAndGet();
            if (err != 0) {
                System.err.println("lowbit-cuda: cudaFree failed: " + errorName(err));
            }
        } catch (Throwable e) {
            System.err.println("lowbit-cuda: cudaFree failed: " + oneLine(e));
        }
    }

    /** Device allocations made by {@link #malloc} and not yet freed (the workspace counts as one). */
    public static long liveAllocations() {
        return LIVE.get();
    }

    /** {@code {free, total}} bytes of device memory. */
    public long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment t = a.allocate(ValueLayout.JAVA_LONG);
            check((int) cudaMemGetInfo.invokeExact(f, t), "cudaMemGetInfo");
            return new long[] {f.get(ValueLayout.JAVA_LONG, 0), t.get(ValueLayout.JAVA_LONG, 0)};
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaMemGetInfo failed: " + oneLine(e));
        }
    }

    /** Host array (byte[], int[], float[]: a heap segment) or native segment to device; synchronous. */
    public void toDevice(MemorySegment dst, MemorySegment src, long bytes) {
        memcpy(dst, src, bytes, H2D);
    }

    /** Device to host array or native segment; synchronous (waits for the GPU work before it). */
    public void toHost(MemorySegment dst, MemorySegment src, long bytes) {
        memcpy(dst, src, bytes, D2H);
    }

    private void memcpy(MemorySegment dst, MemorySegment src, long bytes, int kind) {
        if (bytes == 0) {
            return;
        }
        try {
            int err = dst.isNative() && src.isNative() ? (int) cudaMemcpy.invokeExact(dst, src, bytes, kind)
                    : (int) cudaMemcpyHeap.invokeExact(dst, src, bytes, kind);
            check(err, "cudaMemcpy");
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaMemcpy failed: " + oneLine(e));
        }
    }

    /** Sets {@code bytes} bytes of device memory to {@code value}. */
    public void memset(MemorySegment dst, int value, long bytes) {
        try {
            check((int) cudaMemset.invokeExact(dst, value, bytes), "cudaMemset");
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaMemset failed: " + oneLine(e));
        }
    }

    public void synchronize() {
        try {
            check((int) cudaDeviceSynchronize.invokeExact(), "cudaDeviceSynchronize");
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaDeviceSynchronize failed: " + oneLine(e));
        }
    }

    /** A new stream ({@code cudaStream_t}); lowbit itself uses the default stream (NULL). */
    public MemorySegment streamCreate() {
        return createHandle(cudaStreamCreate, "cudaStreamCreate");
    }

    /** A CUDA event, for timing on the GPU ({@link #record}, {@link #elapsedMs}). */
    public MemorySegment eventCreate() {
        return createHandle(cudaEventCreate, "cudaEventCreate");
    }

    private MemorySegment createHandle(MethodHandle create, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            check((int) create.invokeExact(out), what);
            return out.get(ValueLayout.ADDRESS, 0);
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException(what + " failed: " + oneLine(e));
        }
    }

    /** Records {@code event} on the default stream. */
    public void record(MemorySegment event) {
        try {
            check((int) cudaEventRecord.invokeExact(event, MemorySegment.NULL), "cudaEventRecord");
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaEventRecord failed: " + oneLine(e));
        }
    }

    /** Milliseconds between two recorded events (waits for {@code end}). */
    public float elapsedMs(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            check((int) cudaEventSynchronize.invokeExact(end), "cudaEventSynchronize");
            MemorySegment ms = a.allocate(ValueLayout.JAVA_FLOAT);
            check((int) cudaEventElapsedTime.invokeExact(ms, start, end), "cudaEventElapsedTime");
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        } catch (LowbitException e) {
            throw e;
        } catch (Throwable e) {
            throw new LowbitException("cudaEventElapsedTime failed: " + oneLine(e));
        }
    }

    // ---- accessors ----

    MemorySegment ltHandle() {
        return handle;
    }

    MemorySegment workspace() {
        return workspace;
    }

    public String deviceName() {
        return device;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }

    /** One line for reports: device, capability, versions, library paths. */
    public String describe() {
        return device + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs), driver API " + version(driverVersion)
                + ", runtime " + version(runtimeVersion) + ", cuBLASLt " + ltVersion + " [" + (cudart == null ? "libcudart (system)" : cudart)
                + ", " + (cublasLt == null ? "libcublasLt (system)" : cublasLt) + "]";
    }

    private static String version(int v) {
        return v / 1000 + "." + (v % 1000) / 10;
    }

    @Override
    public String toString() {
        return "cuda(" + device + ")";
    }

    // ---- errors ----

    void check(int err, String what) {
        if (err != 0) {
            throw new LowbitException(what + " failed: " + errorName(err));
        }
    }

    static void checkLt(int status, String what) {
        if (status != 0) {
            throw new LowbitException(what + " failed: " + cublasStatus(status));
        }
    }

    private String errorName(int err) {
        try {
            MemorySegment s = (MemorySegment) cudaGetErrorString.invokeExact(err);
            return "error " + err + " (" + s.reinterpret(256).getString(0) + ")";
        } catch (Throwable e) {
            return "error " + err;
        }
    }

    static String cublasStatus(int s) {
        return switch (s) {
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cuBLAS status " + s;
        };
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        String s = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        return s.replace('\n', ' ');
    }
}
