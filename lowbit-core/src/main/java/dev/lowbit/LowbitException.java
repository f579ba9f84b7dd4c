package dev.lowbit;

/**
 * A problem with the user's input or request (bad file, bad shape, bad option value, NaN input,
 * accumulator overflow). The message is one line, names the offending thing, and is meant to be
 * shown to the user as is; the CLI prints it without a stack trace and exits with code 2.
 */
public class LowbitException extends RuntimeException {
    public LowbitException(String message) {
        super(message);
    }

    public LowbitException(String message, Throwable cause) {
        super(message, cause);
    }
}
