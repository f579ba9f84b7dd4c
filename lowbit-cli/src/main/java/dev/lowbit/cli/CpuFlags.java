package dev.lowbit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The CPU's vector and dot-product features from /proc/cpuinfo, recorded with every benchmark number. */
final class CpuFlags {
    /** The flags that decide which GEMM kernels can run (in this order). */
    static final List<String> RELEVANT = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16",
            "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16");

    private CpuFlags() {}

    /** The relevant flags present, space-separated ("unknown" where /proc/cpuinfo cannot be read). */
    static String summary() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    Set<String> have = Set.of(line.substring(line.indexOf(':') + 1).strip().split("\\s+"));
                    return RELEVANT.stream().filter(have::contains).collect(Collectors.joining(" "));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "unknown";
    }
}
