package dev.lowbit.train;

/** Linear warm-up to {@code peak}, then cosine decay to {@code peak·finalFraction} at {@code total} steps. */
public record LrSchedule(double peak, int warmup, int total, double finalFraction) {
    public double at(long step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double progress = Math.min(1, (double) (step - warmup) / Math.max(1, total - warmup));
        double min = peak * finalFraction;
        return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
    }
}
