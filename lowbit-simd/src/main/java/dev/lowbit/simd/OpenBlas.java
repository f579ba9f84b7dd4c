package dev.lowbit.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The system OpenBLAS (Debian {@code libopenblas0}), called through FFM ({@code java.lang.foreign}):
 * a peer baseline for benchmarks only, never used by the GEMM backends. {@link #load()} is empty when
 * the library is not installed.
 */
public final class OpenBlas {
    /** Library names tried, in order. */
    public static final String[] NAMES = {"libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.3.21.so"};
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    private final String library;
    private final MethodHandle sgemm;
    private final MethodHandle setThreads;
    private final String config;
    private final String core;

    private OpenBlas(String library, SymbolLookup lookup) throws Throwable {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        sgemm = linker.downcallHandle(lookup.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, ValueLayout.ADDRESS, i, ValueLayout.ADDRESS, i, f, ValueLayout.ADDRESS, i));
        setThreads = linker.downcallHandle(lookup.find("openblas_set_num_threads").orElseThrow(), FunctionDescriptor.ofVoid(i));
        config = string(linker, lookup, "openblas_get_config");
        core = string(linker, lookup, "openblas_get_corename");
    }

    private static String string(Linker linker, SymbolLookup lookup, String fn) throws Throwable {
        Optional<MemorySegment> sym = lookup.find(fn);
        if (sym.isEmpty()) {
            return "unknown";
        }
        MethodHandle h = linker.downcallHandle(sym.get(), FunctionDescriptor.of(ValueLayout.ADDRESS));
        MemorySegment s = (MemorySegment) h.invokeExact();
        return s.equals(MemorySegment.NULL) ? "unknown" : s.reinterpret(256).getString(0);
    }

    /** The system OpenBLAS, or empty (with the reason in {@link #whyMissing()}) when it cannot be loaded. */
    public static Optional<OpenBlas> load() {
        for (String name : NAMES) {
            try {
                return Optional.of(new OpenBlas(name, SymbolLookup.libraryLookup(name, Arena.global())));
            } catch (Throwable e) {
                // try the next name
            }
        }
        return Optional.empty();
    }

    /** OpenBLAS from a given library name or path, or empty when it cannot be loaded. */
    public static Optional<OpenBlas> load(String nameOrPath) {
        try {
            SymbolLookup lookup = nameOrPath.contains("/")
                    ? SymbolLookup.libraryLookup(Path.of(nameOrPath), Arena.global())
                    : SymbolLookup.libraryLookup(nameOrPath, Arena.global());
            return Optional.of(new OpenBlas(nameOrPath, lookup));
        } catch (Throwable e) {
            return Optional.empty();
        }
    }

    /** Why {@link #load()} found nothing, as a sentence for reports. */
    public static String whyMissing() {
        return "OpenBLAS is not installed (no " + String.join(" / ", NAMES)
                + " on the library path; on Debian: apt-get install libopenblas0)";
    }

    public String library() {
        return library;
    }

    /** {@code openblas_get_config()}, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH … Zen". */
    public String config() {
        return config;
    }

    /** {@code openblas_get_corename()}: the kernel set OpenBLAS picked for this CPU. */
    public String core() {
        return core;
    }

    public void setThreads(int threads) {
        try {
            setThreads.invokeExact(threads);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Row-major {@code c = a·bᵀ} (transB) or {@code c = a·b}: a m×k, b n×k (or k×n), c m×n, all in
     * native memory.
     */
    public void sgemm(boolean transB, int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            sgemm.invokeExact(ROW_MAJOR, NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1f, a, k, b, transB ? k : n, 0f, c, n);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
