package dev.lowbit.io;

import dev.lowbit.LowbitException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} reader and writer (format versions 1.0, 2.0 and 3.0). Reads f16/f32/f64/i8/i16/
 * i32/i64/u8 in either byte order, C order only; writes little-endian, version 1.0 when the header
 * fits. Every problem is a one-line {@link LowbitException} that names the file.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static NpyArray read(Path file) {
        if (Files.isDirectory(file)) {
            throw new LowbitException(file + ": is a directory, not a .npy file");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(in, file.toString(), Files.size(file));
        } catch (NoSuchFileException e) {
            throw new LowbitException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new LowbitException(file + ": permission denied");
        } catch (IOException e) {
            throw new LowbitException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads one array from a stream; {@code name} is used in error messages. */
    public static NpyArray read(InputStream in, String name) throws IOException {
        return read(in, name, -1);
    }

    /**
     * As {@link #read(InputStream, String)}; {@code fileSize} (or -1 when unknown) lets a header that declares more
     * data than the file holds fail before anything is allocated. Without it the data is read in chunks, so memory
     * never runs ahead of the bytes actually present.
     */
    static NpyArray read(InputStream in, String name, long fileSize) throws IOException {
        byte[] magic = readFully(in, 8, name, "magic");
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new LowbitException(name + ": not a .npy file (bad magic)");
            }
        }
        int major = magic[6] & 0xff;
        int headerLen;
        if (major == 1) {
            byte[] b = readFully(in, 2, name, "header");
            headerLen = (b[0] & 0xff) | (b[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] b = readFully(in, 4, name, "header");
            long len = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            if (len > 1 << 20) {
                throw new LowbitException(name + ": corrupt .npy header (length " + len + ")");
            }
            headerLen = (int) len;
        } else {
            throw new LowbitException(name + ": unsupported .npy format version " + major + "." + (magic[7] & 0xff));
        }
        String header = new String(readFully(in, headerLen, name, "header"),
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeM = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeM.find()) {
            throw new LowbitException(name + ": corrupt .npy header: " + header.strip());
        }
        if (fortran.group(1).equals("True")) {
            throw new LowbitException(name + ": Fortran-order arrays are not supported; save with np.ascontiguousarray(x)");
        }
        String d = descr.group(1);
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        String code = d;
        if (!d.isEmpty() && "<>|=".indexOf(d.charAt(0)) >= 0) {
            order = d.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            code = d.substring(1);
        }
        DType dtype = DType.fromCode(code);
        if (dtype == null) {
            throw new LowbitException(name + ": unsupported dtype '" + d + "' (supported: " + DType.supportedList() + ")");
        }
        int[] shape = parseShape(shapeM.group(1), name);
        long n = 1;
        for (int dim : shape) {
            n = Math.min(n * dim, 1L << 31); // saturates: n, dim < 2^31, so the product never overflows a long
        }
        if (n > (Integer.MAX_VALUE - 16) / dtype.bytes()) {
            throw new LowbitException(name + ": array of shape " + shapeM.group(1).strip() + " is too large (more than "
                    + (Integer.MAX_VALUE - 16) / dtype.bytes() + " " + dtype.shortName() + " elements)");
        }
        long dataBytes = n * dtype.bytes();
        int headerBytes = 8 + (major == 1 ? 2 : 4) + headerLen;
        if (fileSize >= 0 && headerBytes + dataBytes > fileSize) {
            throw new LowbitException(name + ": truncated .npy file (shape " + shapeM.group(1).strip() + " of "
                    + dtype.shortName() + " needs " + dataBytes + " data bytes, the file has " + Math.max(0, fileSize - headerBytes) + ")");
        }
        ByteBuffer buf = ByteBuffer.wrap(readFully(in, (int) dataBytes, name, "data")).order(order);
        int count = (int) n;
        if (dtype.isFloating()) {
            double[] v = new double[count];
            for (int i = 0; i < count; i++) {
                v[i] = switch (dtype) {
                    case F16 -> Float.float16ToFloat(buf.getShort());
                    case F32 -> buf.getFloat();
                    default -> buf.getDouble();
                };
            }
            return NpyArray.ofFloats(dtype, shape, v);
        }
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
            v[i] = switch (dtype) {
                case I8 -> buf.get();
                case U8 -> buf.get() & 0xff;
                case I16 -> buf.getShort();
                case I32 -> buf.getInt();
                default -> buf.getLong();
            };
        }
        return NpyArray.ofInts(dtype, shape, v);
    }

    private static int[] parseShape(String s, String name) {
        String t = s.strip();
        if (t.isEmpty()) {
            return new int[0];
        }
        String[] parts = t.split(",", -1);
        int count = parts.length > 1 && parts[parts.length - 1].isBlank() ? parts.length - 1 : parts.length;
        int[] shape = new int[count];
        for (int i = 0; i < count; i++) {
            try {
                long v = Long.parseLong(parts[i].strip().replace("L", ""));
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw new NumberFormatException();
                }
                shape[i] = (int) v;
            } catch (NumberFormatException e) {
                throw new LowbitException(name + ": corrupt .npy header: bad shape (" + s + ")");
            }
        }
        return shape;
    }

    private static byte[] readFully(InputStream in, int len, String name, String part) throws IOException {
        // readNBytes grows its buffer with the bytes it gets: a header declaring gigabytes costs only what is there
        byte[] b = in.readNBytes(len);
        if (b.length < len) {
            throw new LowbitException(name + (part.equals("magic") ? ": not a .npy file (too short)"
                    : ": truncated .npy file (" + part + " ends early)"));
        }
        return b;
    }

    /** Writes atomically (temp file + rename). */
    public static void write(Path file, NpyArray array) {
        AtomicFiles.write(file, out -> write(out, array));
    }

    public static void write(OutputStream out, NpyArray a) throws IOException {
        StringBuilder h = new StringBuilder("{'descr': '").append(a.dtype().descr())
                .append("', 'fortran_order': False, 'shape': ").append(a.shapeString()).append(", }");
        int base = h.length() + 1;
        int version = base + 10 <= 65535 ? 1 : 2;
        int pre = version == 1 ? 10 : 12;
        int pad = (64 - (pre + base) % 64) % 64;
        h.append(" ".repeat(pad)).append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer pre0 = ByteBuffer.allocate(pre).order(ByteOrder.LITTLE_ENDIAN);
        pre0.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) {
            pre0.putShort((short) header.length);
        } else {
            pre0.putInt(header.length);
        }
        out.write(pre0.array());
        out.write(header);
        DType t = a.dtype();
        int n = a.numel();
        ByteBuffer buf = ByteBuffer.allocate(Math.max(t.bytes(), Math.min(n, 1 << 14) * t.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (buf.remaining() < t.bytes()) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            switch (t) {
                case F16 -> buf.putShort(Float.floatToFloat16((float) a.floats()[i]));
                case F32 -> buf.putFloat((float) a.floats()[i]);
                case F64 -> buf.putDouble(a.floats()[i]);
                case I8, U8 -> buf.put((byte) a.ints()[i]);
                case I16 -> buf.putShort((short) a.ints()[i]);
                case I32 -> buf.putInt((int) a.ints()[i]);
                case I64 -> buf.putLong(a.ints()[i]);
            }
        }
        out.write(buf.array(), 0, buf.position());
    }
}
