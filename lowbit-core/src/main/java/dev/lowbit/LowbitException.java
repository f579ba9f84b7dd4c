package dev.lowbit;

/**
 * A problem with the user's input or request (bad file, bad shape, bad option value, NaN input,
 * accumulator overflow). The message is one line, names the offending thing, and is meant to be
 * shown to the user as is; the CLI prints it without a stack trace and exits with code 2.
 *
 * <p>The one-line rule holds whatever the message quotes (a header read from a file, an option value):
 * line breaks and other control characters are escaped ({@code \n}, {@code \u0001}) and a message longer
 * than {@value #MAX_LENGTH} characters is cut with {@code …}.
 */
public class LowbitException extends RuntimeException {
    /** The longest message kept whole. */
    public static final int MAX_LENGTH = 1000;

    public LowbitException(String message) {
        super(oneLine(message));
    }

    public LowbitException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** {@code s} with control and line-separator characters escaped, cut to {@link #MAX_LENGTH} characters. */
    public static String oneLine(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = null;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 && c != '\t' || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (control && sb == null) {
                sb = new StringBuilder(n + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (!control) {
                    sb.append(c);
                } else if (c == '\n') {
                    sb.append("\\n");
                } else if (c == '\r') {
                    sb.append("\\r");
                } else {
                    sb.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        String t = sb == null ? s : sb.toString();
        if (t.length() > MAX_LENGTH) {
            int cut = MAX_LENGTH - 1;
            if (Character.isHighSurrogate(t.charAt(cut - 1))) {
                cut--;
            }
            t = t.substring(0, cut) + "…";
        }
        return t;
    }
}
