package dev.lowbit.gemm;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds {@link GemmBackend}s through {@link ServiceLoader}; {@code -Dlowbit.backend=NAME} picks one. */
public final class GemmBackends {
    private static volatile List<GemmBackend> all;
    /** Every registered backend in ServiceLoader order, unsorted: naming one never asks any backend for its priority. */
    private static volatile List<GemmBackend> registered;

    private GemmBackends() {}

    /** Every registered backend, highest priority first. */
    public static List<GemmBackend> all() {
        List<GemmBackend> list = all;
        if (list == null) {
            list = registered().stream()
                    .sorted(Comparator.comparingInt(GemmBackend::priority).reversed().thenComparing(GemmBackend::name))
                    .toList();
            all = list;
        }
        return list;
    }

    /**
     * The registered backends, unsorted. {@link GemmBackend#priority} may load a native library and self-test it (oneDNN,
     * CUDA); a user who names a backend ({@code -Dlowbit.backend=simd}) must not pay for the others, so lookups by name go
     * through this list.
     */
    private static List<GemmBackend> registered() {
        List<GemmBackend> list = registered;
        if (list == null) {
            list = ServiceLoader.load(GemmBackend.class).stream().map(ServiceLoader.Provider::get).toList();
            registered = list;
        }
        return list;
    }

    /** The backend named by {@code lowbit.backend} (which must be available here), else the highest-priority one. */
    public static GemmBackend preferred() {
        return select(Flags.backend());
    }

    /**
     * The backend a user named ({@code --backend}, {@code -Dlowbit.backend}): null or empty means the highest-priority one;
     * an unknown name, or one that cannot run its kernels here, is a one-line {@link LowbitException} with the reason.
     */
    public static GemmBackend select(String name) {
        if (name == null || name.isBlank()) {
            return all().getFirst();
        }
        GemmBackend be = byName(name.strip());
        String why = be.whyUnavailable();
        if (why != null) {
            throw new LowbitException("GEMM backend '" + be.name() + "' is not available here: " + why);
        }
        return be;
    }

    public static GemmBackend byName(String name) {
        return registered().stream().filter(b -> b.name().equals(name)).findFirst()
                .orElseThrow(() -> new LowbitException("unknown GEMM backend '" + name + "' (available: "
                        + registered().stream().map(GemmBackend::name).sorted().collect(Collectors.joining(", ")) + ")"));
    }

    public static GemmBackend scalar() {
        return byName("scalar");
    }
}
