// Grad mode: whether ops record themselves on the tape (off for evaluation and generation).
package org.llm4j.tensor;

public final class Grad {
    private static final ThreadLocal<int[]> DISABLED = ThreadLocal.withInitial(() -> new int[1]);

    private Grad() {}

    public static boolean enabled() {
        return DISABLED.get()[0] == 0;
    }

    /** {@code try (var g = Grad.off()) { ... }}: no tape inside; nests. */
    public static Scope off() {
        int[] depth = DISABLED.get();
        depth[0]++;
        return () -> depth[0]--;
    }

    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
