package dev.lowbit.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.LowbitException;

/** The property every fuzz target checks on a rejection: a one-line message that names what was rejected. */
final class FuzzChecks {
    private FuzzChecks() {}

    static void assertOneLine(LowbitException e, String names) {
        String m = e.getMessage();
        assertThat(m).isNotBlank().contains(names).doesNotContain("\n").doesNotContain("\r");
        assertThat(m.length()).isLessThanOrEqualTo(LowbitException.MAX_LENGTH);
    }
}
