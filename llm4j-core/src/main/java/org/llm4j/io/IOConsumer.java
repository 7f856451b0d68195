// A Consumer that may throw IOException, so file-writing lambdas need no try/catch wrapping.
package org.llm4j.io;

import java.io.IOException;

@FunctionalInterface
public interface IOConsumer<T> {
    void accept(T value) throws IOException;
}
