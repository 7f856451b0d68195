// The one error type of dataset lookup, download and text loading; its message names the
// dataset, file or URL and says what to do about it.
package org.llm4j.data;

public final class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
