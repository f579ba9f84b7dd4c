package dev.lowbit.cli;

import dev.lowbit.Flags;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import picocli.CommandLine.Option;

/**
 * {@code --backend NAME} for the verbs that run GEMMs. Without it, {@code -Dlowbit.backend}, else the highest-priority
 * backend that is proven exact here; an unknown name, or a backend that cannot run here, is a one-line error with the
 * reason ({@link GemmBackends#select}).
 */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "GEMM backend: onednn (exact int8 on VNNI/AMX via oneDNN), simd (pure Java), cuda (exact int8 on "
                    + "NVIDIA tensor cores via cuBLASLt; needs a GPU and the CUDA libraries, see docs/gpu.md) or scalar "
                    + "(default: the fastest one proven exact on this machine; cuda only when named). Results do not depend on it.")
    String name;

    /** The chosen backend. */
    GemmBackend backend() {
        return GemmBackends.select(name != null ? name : Flags.backend());
    }
}
