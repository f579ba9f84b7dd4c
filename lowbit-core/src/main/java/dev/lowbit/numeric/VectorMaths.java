package dev.lowbit.numeric;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds {@link VectorMath} implementations through {@link ServiceLoader}; {@code -Dlowbit.vectorMath=NAME}
 * picks one, otherwise the highest priority wins ({@code simd} when lowbit-simd is on the class path). Since
 * all implementations return the same bits, the choice changes speed only.
 */
public final class VectorMaths {
    private static volatile List<VectorMath> all;
    private static volatile VectorMath preferred;

    private VectorMaths() {}

    /** Every registered implementation, highest priority first. */
    public static List<VectorMath> all() {
        List<VectorMath> list = all;
        if (list == null) {
            list = ServiceLoader.load(VectorMath.class).stream().map(ServiceLoader.Provider::get)
                    .sorted(Comparator.comparingInt(VectorMath::priority).reversed().thenComparing(VectorMath::name))
                    .toList();
            if (list.isEmpty()) {
                list = List.of(new ScalarVectorMath());
            }
            all = list;
        }
        return list;
    }

    /** The implementation named by {@code lowbit.vectorMath}, else the highest-priority one (cached). */
    public static VectorMath preferred() {
        VectorMath p = preferred;
        if (p == null) {
            String name = Flags.vectorMath();
            p = name.isEmpty() ? all().getFirst() : byName(name);
            preferred = p;
        }
        return p;
    }

    public static VectorMath byName(String name) {
        return all().stream().filter(b -> b.name().equals(name)).findFirst()
                .orElseThrow(() -> new LowbitException("unknown vector math implementation '" + name + "' (available: "
                        + all().stream().map(VectorMath::name).collect(Collectors.joining(", ")) + ")"));
    }

    /** The reference implementation. */
    public static VectorMath scalar() {
        return byName("scalar");
    }
}
