package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A per-(layer, GEMM group) precision for {@link Bert}: each of the five {@link Group groups} of every encoder layer
 * runs one {@link Precision} preset, resolved as {@code ./lowbit embed --precision NAME} resolves it
 * ({@link Precision#forEmbed}), so a mix whose every group is P computes exactly what P computes.
 *
 * <p>Text form (what {@code embed --precision} and {@code search --out} use): comma- or newline-separated assignments
 * {@code LAYERS.GROUP=NAME}, later ones overriding earlier ones; {@code LAYERS} is {@code *}, a layer {@code N} or a
 * range {@code N-M}; {@code GROUP} is {@code *} or a group label ({@code qkv}, {@code attn}, {@code o}, {@code ffn1},
 * {@code ffn2}); {@code *=NAME} is short for {@code *.*=NAME}. Groups that no assignment names run in fp32. {@code #}
 * starts a comment (to the end of the line). Example: {@code *=fp8,0-1.attn=int8,5.ffn2=fp32}.
 */
public final class MixedPrecision {
    /** The GEMM groups of one encoder layer. */
    public enum Group {
        /** the Q, K and V projections (one input, quantized once) */
        QKV("qkv", List.of(GemmRole.Q, GemmRole.K, GemmRole.V)),
        /** both attention products Q_h·K_hᵀ and P·V_h */
        ATTN("attn", List.of(GemmRole.QK, GemmRole.PV)),
        /** the attention output projection */
        O("o", List.of(GemmRole.O)),
        /** the FFN up-projection */
        FFN1("ffn1", List.of(GemmRole.FFN1)),
        /** the FFN down-projection */
        FFN2("ffn2", List.of(GemmRole.FFN2));

        private final String label;
        private final List<GemmRole> roles;

        Group(String label, List<GemmRole> roles) {
            this.label = label;
            this.roles = roles;
        }

        public String label() {
            return label;
        }

        public List<GemmRole> roles() {
            return roles;
        }

        /** The group of a GEMM role. */
        public static Group of(GemmRole role) {
            return switch (role) {
                case Q, K, V -> QKV;
                case QK, PV -> ATTN;
                case O -> O;
                case FFN1 -> FFN1;
                case FFN2 -> FFN2;
            };
        }

        static Group parse(String s, String entry) {
            for (Group g : values()) {
                if (g.label.equals(s)) {
                    return g;
                }
            }
            throw new LowbitException("mixed precision '" + entry + "': unknown group '" + s + "' (use *, qkv, attn, o, ffn1 or ffn2)");
        }
    }

    private static final int GROUPS = Group.values().length;
    private final String[][] names;
    private final Precision[][] table;

    private MixedPrecision(String[][] names) {
        this.names = names;
        this.table = new Precision[names.length][GROUPS];
        Map<String, Precision> resolved = new HashMap<>();
        for (int l = 0; l < names.length; l++) {
            for (int g = 0; g < GROUPS; g++) {
                table[l][g] = resolved.computeIfAbsent(names[l][g], MixedPrecision::resolve);
            }
        }
    }

    private static Precision resolve(String name) {
        Precision p = Precision.forEmbed(name);
        if (p.calibrated()) {
            throw new LowbitException("mixed precision: " + p.label() + " needs calibration of the whole model and cannot be mixed");
        }
        return p;
    }

    /** Every group of every one of {@code layers} layers in the preset {@code name}. */
    public static MixedPrecision uniform(String name, int layers) {
        String[][] n = new String[layers][GROUPS];
        for (String[] row : n) {
            Arrays.fill(row, canonical(name));
        }
        return new MixedPrecision(n);
    }

    /** Whether {@code text} is a mixed precision (it has an assignment {@code =}) rather than a preset name. */
    public static boolean isMixed(String text) {
        return text.indexOf('=') >= 0;
    }

    /** Parses the text form (see the class comment) for a model of {@code layers} layers. */
    public static MixedPrecision parse(String text, int layers) {
        String[][] n = new String[layers][GROUPS];
        for (String[] row : n) {
            Arrays.fill(row, "fp32");
        }
        int count = 0;
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            String body = hash >= 0 ? line.substring(0, hash) : line;
            for (String raw : body.split(",")) {
                String entry = raw.strip().toLowerCase(Locale.ROOT);
                if (entry.isEmpty()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                if (eq < 0) {
                    throw new LowbitException("mixed precision '" + entry + "': expected LAYERS.GROUP=PRECISION (e.g. 0-2.ffn2=int8 or *=fp8)");
                }
                String target = entry.substring(0, eq).strip();
                String name = canonical(entry.substring(eq + 1));
                if (name.isEmpty()) {
                    throw new LowbitException("mixed precision '" + entry + "': no precision after '='");
                }
                resolve(name); // fails early on an unknown name
                int dot = target.indexOf('.');
                String layerText = dot < 0 ? target : target.substring(0, dot).strip();
                String groupText = dot < 0 ? "*" : target.substring(dot + 1).strip();
                if (dot < 0 && !target.equals("*")) {
                    throw new LowbitException("mixed precision '" + entry + "': expected LAYERS.GROUP before '=' (e.g. 3.ffn1), or *");
                }
                int[] range = layers(layerText, layers, entry);
                List<Group> groups = groupText.equals("*") ? List.of(Group.values()) : List.of(Group.parse(groupText, entry));
                for (int l = range[0]; l <= range[1]; l++) {
                    for (Group g : groups) {
                        n[l][g.ordinal()] = name;
                    }
                }
                count++;
            }
        }
        if (count == 0) {
            throw new LowbitException("mixed precision: no assignment (expected e.g. *=fp8,0.ffn2=int8)");
        }
        return new MixedPrecision(n);
    }

    private static String canonical(String name) {
        return name.strip().toLowerCase(Locale.ROOT);
    }

    private static int[] layers(String s, int layers, String entry) {
        if (s.equals("*")) {
            return new int[] {0, layers - 1};
        }
        int dash = s.indexOf('-');
        try {
            int a = Integer.parseInt(dash < 0 ? s : s.substring(0, dash).strip());
            int b = dash < 0 ? a : Integer.parseInt(s.substring(dash + 1).strip());
            if (a < 0 || b >= layers || a > b) {
                throw new LowbitException("mixed precision '" + entry + "': layers " + s + " outside 0.." + (layers - 1));
            }
            return new int[] {a, b};
        } catch (NumberFormatException e) {
            throw new LowbitException("mixed precision '" + entry + "': layers must be *, N or N-M, got '" + s + "'");
        }
    }

    /** A copy with group {@code g} of layer {@code layer} in the preset {@code name}. */
    public MixedPrecision with(int layer, Group g, String name) {
        String[][] n = new String[names.length][];
        for (int l = 0; l < n.length; l++) {
            n[l] = names[l].clone();
        }
        n[layer][g.ordinal()] = canonical(name);
        return new MixedPrecision(n);
    }

    public int layers() {
        return names.length;
    }

    /** The preset name of group {@code g} of layer {@code layer}. */
    public String name(int layer, Group g) {
        return names[layer][g.ordinal()];
    }

    /** The precision that runs GEMM {@code role} of layer {@code layer}. */
    public Precision at(int layer, GemmRole role) {
        return table[layer][Group.of(role).ordinal()];
    }

    /** The precision of group {@code g} of layer {@code layer}. */
    public Precision at(int layer, Group g) {
        return table[layer][g.ordinal()];
    }

    /** The distinct preset names used, in first-use order. */
    public List<String> distinctNames() {
        List<String> out = new ArrayList<>();
        for (String[] row : names) {
            for (String s : row) {
                if (!out.contains(s)) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /**
     * The compact text form: {@code *=X} for the most used preset X, then one {@code L.GROUP=NAME} per group that
     * differs, layer by layer. {@link #parse} of it gives an equal mix.
     */
    @Override
    public String toString() {
        Map<String, Integer> uses = new LinkedHashMap<>();
        for (String[] row : names) {
            for (String s : row) {
                uses.merge(s, 1, Integer::sum);
            }
        }
        String base = null;
        for (Map.Entry<String, Integer> e : uses.entrySet()) {
            if (base == null || e.getValue() > uses.get(base)) {
                base = e.getKey();
            }
        }
        StringBuilder sb = new StringBuilder("*=").append(base);
        for (int l = 0; l < names.length; l++) {
            for (Group g : Group.values()) {
                if (!names[l][g.ordinal()].equals(base)) {
                    sb.append(',').append(l).append('.').append(g.label()).append('=').append(names[l][g.ordinal()]);
                }
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MixedPrecision m && Arrays.deepEquals(names, m.names);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(names);
    }
}
