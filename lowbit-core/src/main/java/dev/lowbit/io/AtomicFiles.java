package dev.lowbit.io;

import dev.lowbit.LowbitException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file through a temporary sibling and a rename, so a failure never leaves a partial file: the content is written
 * to {@code .<name><random>.tmp} beside the target, forced to the device ({@code fsync}), then renamed over the target
 * atomically. A process killed at any moment (even {@code kill -9} during the write) leaves the previous file intact, at
 * worst with a stale temporary sibling ({@link #removeStaleTemporaries} deletes those); a failed write (full disk,
 * read-only directory) leaves the previous file intact and no temporary.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Something that writes a file's content to a stream. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new LowbitException(target + ": directory " + dir + " does not exist");
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                writer.writeTo(out);
                out.flush();
                ch.force(true); // the content reaches the device before the rename makes it the file
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new LowbitException(target + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is hidden and named after the target
                }
            }
        }
    }

    /**
     * Deletes the temporary siblings a killed {@link #write} of {@code target} may have left ({@code .<name>*.tmp}); for a
     * file that one process owns (a training run's checkpoint), called before it writes again. Best effort, never fails.
     */
    public static void removeStaleTemporaries(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        String prefix = "." + abs.getFileName();
        try (var files = Files.newDirectoryStream(dir, f -> {
            String n = f.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".tmp");
        })) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: a stale temporary file is hidden and harmless
        }
    }
}
