// The options of Model.fit, Keras's keyword arguments as a small builder.
package org.llm4j.keras;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Fit.epochs(10).batchSize(32).validationData(xv, yv).callbacks(new Callback.EarlyStopping(...))}.
 * Defaults as Keras: 1 epoch, batch 32, shuffle on, no validation, verbose (a progress line per
 * epoch on {@link #out}, System.out unless set).
 */
public final class Fit {
    int epochs = 1, batchSize = 32;
    Data validationX, validationY;
    double validationSplit;
    boolean shuffle = true, verbose = true;
    long seed;
    final List<Callback> callbacks = new ArrayList<>();
    PrintStream out = System.out;

    private Fit() {}

    public static Fit epochs(int n) {
        if (n < 1) throw new IllegalArgumentException("epochs must be positive, got " + n);
        Fit f = new Fit();
        f.epochs = n;
        return f;
    }

    public Fit batchSize(int b) {
        if (b < 1) throw new IllegalArgumentException("batch size must be positive, got " + b);
        this.batchSize = b;
        return this;
    }

    public Fit validationData(Data x, Data y) {
        if (x.size() != y.size()) throw new IllegalArgumentException("validation data: " + x.size() + " inputs but " + y.size() + " targets");
        this.validationX = x;
        this.validationY = y;
        return this;
    }

    /** The last fraction of the data (taken before shuffling, as Keras) becomes the validation set. */
    public Fit validationSplit(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) throw new IllegalArgumentException("validation split must be in [0, 1), got " + fraction);
        this.validationSplit = fraction;
        return this;
    }

    public Fit shuffle(boolean on) {
        this.shuffle = on;
        return this;
    }

    /** Seeds the shuffling and dropout of this run. */
    public Fit seed(long seed) {
        this.seed = seed;
        return this;
    }

    public Fit callbacks(Callback... cbs) {
        callbacks.addAll(List.of(cbs));
        return this;
    }

    public Fit verbose(boolean on) {
        this.verbose = on;
        return this;
    }

    /** Where the progress lines go. */
    public Fit out(PrintStream out) {
        this.out = out;
        return this;
    }
}
