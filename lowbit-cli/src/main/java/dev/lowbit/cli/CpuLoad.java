package dev.lowbit.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Measures how many cores <em>other</em> processes used during a timed interval: busy jiffies of the
 * whole machine from {@code /proc/stat} (steal included) minus this JVM's own CPU time. Benchmarks
 * report it beside each timing, so a noisy repetition can be recognised. NaN where /proc is missing.
 */
final class CpuLoad {
    private static final double HZ = 100.0;
    private final long busy0;
    private final long own0;
    private final long wall0;

    private CpuLoad(long busy0, long own0, long wall0) {
        this.busy0 = busy0;
        this.own0 = own0;
        this.wall0 = wall0;
    }

    static CpuLoad start() {
        return new CpuLoad(busyJiffies(), ownNanos(), System.nanoTime());
    }

    /** Average number of cores used by other processes since {@link #start()}. */
    double foreignCores() {
        long busy = busyJiffies();
        if (busy < 0 || busy0 < 0) {
            return Double.NaN;
        }
        double wall = (System.nanoTime() - wall0) / 1e9;
        double machine = (busy - busy0) / HZ;
        double own = (ownNanos() - own0) / 1e9;
        return Math.max(0, (machine - own) / wall);
    }

    private static long ownNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long busyJiffies() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).getFirst();
            String[] f = line.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
