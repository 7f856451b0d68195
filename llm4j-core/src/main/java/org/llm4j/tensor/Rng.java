// A small, seedable random generator whose whole state is one long, so checkpoints can save and restore it.
package org.llm4j.tensor;

/** SplitMix64 (Steele, Lea, Flood 2014): fast, passes BigCrush, state = one 64-bit counter. */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public long state() { return state; }

    public void setState(long s) { this.state = s; }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        // Lemire's multiply-shift; the tiny bias (< bound/2^32) is irrelevant for sampling windows.
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Standard normal by Box-Muller (no cached second value, so the state stays one long). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fills an array with N(0, std²). */
    public void fillNormal(float[] a, float std) {
        for (int i = 0; i < a.length; i++) a[i] = (float) (nextGaussian() * std);
    }
}
