package dev.lowbit.train;

import java.util.EnumMap;
import java.util.Map;

/** A {@link GemmSpec} for every {@link GemmRole}; immutable, resolved once per training run. */
public record MatmulPolicy(String name, Map<GemmRole, GemmSpec> specs) {
    public MatmulPolicy {
        EnumMap<GemmRole, GemmSpec> m = new EnumMap<>(GemmRole.class);
        for (GemmRole r : GemmRole.values()) {
            m.put(r, specs.getOrDefault(r, GemmSpec.FP32));
        }
        specs = java.util.Collections.unmodifiableMap(m);
    }

    public GemmSpec spec(GemmRole role) {
        return specs.get(role);
    }

    /** The same spec for every forward role and another for every backward role. */
    public static MatmulPolicy uniform(String name, GemmSpec forward, GemmSpec backward) {
        EnumMap<GemmRole, GemmSpec> m = new EnumMap<>(GemmRole.class);
        for (GemmRole r : GemmRole.values()) {
            m.put(r, r.isBackward() ? backward : forward);
        }
        return new MatmulPolicy(name, m);
    }
}
