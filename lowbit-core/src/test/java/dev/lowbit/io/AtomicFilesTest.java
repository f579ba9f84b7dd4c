package dev.lowbit.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails half-way (a full disk, an I/O error) leaves the previous file exactly as it was and no temporary. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    private long entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void aFailedWriteLeavesThePreviousFileIntact() throws IOException {
        Path f = dir.resolve("run.ckpt");
        AtomicFiles.write(f, out -> out.write(new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
            out.write(new byte[1 << 17]); // past the buffer: part of it is on disk in the temporary
            throw new IOException("No space left on device");
        })).isInstanceOf(LowbitException.class).hasMessage(f + ": cannot write: No space left on device");
        assertThat(Files.readAllBytes(f)).containsExactly(1, 2, 3);
        assertThat(entries()).isEqualTo(1);
        AtomicFiles.write(f, out -> out.write(new byte[] {4}));
        assertThat(Files.readAllBytes(f)).containsExactly(4);
        assertThat(entries()).isEqualTo(1);
    }

    @Test
    void staleTemporariesOfOneTargetAreRemovedAndNothingElse() throws IOException {
        Path f = dir.resolve("run.ckpt");
        AtomicFiles.write(f, out -> out.write(7));
        Files.write(dir.resolve(".run.ckpt12345.tmp"), new byte[10]); // what kill -9 during a write leaves
        Files.write(dir.resolve(".other.ckpt1.tmp"), new byte[1]);
        Files.write(dir.resolve("run.ckpt.tmp"), new byte[1]);
        AtomicFiles.removeStaleTemporaries(f);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly(".other.ckpt1.tmp", "run.ckpt", "run.ckpt.tmp");
        }
        AtomicFiles.removeStaleTemporaries(dir.resolve("missing/x")); // never fails
    }
}
