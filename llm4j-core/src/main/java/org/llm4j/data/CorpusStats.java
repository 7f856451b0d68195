// What one CorpusReader.read pass saw and kept; keptBytes is the UTF-8 size of the kept text,
// the denominator of bits per byte.
package org.llm4j.data;

public record CorpusStats(
        long files,
        long bytesRead,      // uncompressed bytes of input read
        long documentsRead,  // documents found, before any filter
        long droppedShort,   // fewer than minChars code points (or blank)
        long droppedDuplicate,
        long trainDocuments,
        long validationDocuments,
        long keptChars,      // code points of kept documents
        long keptBytes) {    // UTF-8 bytes of kept documents

    public long keptDocuments() {
        return trainDocuments + validationDocuments;
    }
}
