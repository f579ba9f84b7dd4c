package dev.lowbit.format;

/**
 * The numbers behind one row of {@code ./lowbit formats}. {@code bits} is the storage per element
 * including the amortized block scale (e.g. 4.25 for MXFP4). Values of integer formats and of NVFP4 are
 * in units of their (tensor or group) scale; NaN means "not applicable".
 *
 * @param maxFinite    largest finite magnitude
 * @param minNormal    smallest normal magnitude (2^emin)
 * @param minSubnormal smallest positive magnitude
 * @param epsilon      distance from 1 to the next larger value (relative precision), 2^−m for minifloats
 */
public record FormatInfo(String name, double bits, double maxFinite, double minNormal, double minSubnormal, double epsilon,
                         boolean hasInf, boolean hasNaN, String description) {}
