package dev.lowbit.nn;

import java.util.ArrayList;
import java.util.List;

/** Per-(layer, role) statistics of the low-bit GEMMs, accumulated from several threads. */
final class SiteStatsTable {
    private final GemmSiteStats[][] stats;

    SiteStatsTable(int layers) {
        stats = new GemmSiteStats[layers][GemmRole.values().length];
        reset();
    }

    synchronized void add(int layer, GemmRole role, double mnk, double work, long lh, long le, long rh, long re) {
        add(layer, role, mnk, work, lh, le, rh, re, work);
    }

    /** {@code statWork}: the unpacked work at the heavy-hitter b ({@link GemmSiteStats#statUnpackedMacs}). */
    synchronized void add(int layer, GemmRole role, double mnk, double work, long lh, long le, long rh, long re, double statWork) {
        stats[layer][role.ordinal()] = stats[layer][role.ordinal()].plus(mnk, work, lh, le, rh, re, statWork);
    }

    synchronized List<GemmSiteStats> all() {
        List<GemmSiteStats> out = new ArrayList<>();
        for (GemmSiteStats[] row : stats) {
            out.addAll(List.of(row));
        }
        return out;
    }

    synchronized void reset() {
        for (int l = 0; l < stats.length; l++) {
            for (GemmRole r : GemmRole.values()) {
                stats[l][r.ordinal()] = new GemmSiteStats(l, r, 0, 0, 0, 0, 0, 0, 0, 0);
            }
        }
    }
}
