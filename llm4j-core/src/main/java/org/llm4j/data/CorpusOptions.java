// How CorpusReader turns files into documents: which field or column holds the text, Unicode
// normalization, filters, and the validation share. A record with documented defaults.
package org.llm4j.data;

import java.text.Normalizer;

public record CorpusOptions(
        boolean splitParagraphs,        // .txt: one document per blank-line-separated block, not per file (false)
        String jsonField,               // .jsonl: the string field holding the text ("text")
        String column,                  // .csv/.tsv: header name, or 0-based index if all digits ("text")
        boolean header,                 // .csv/.tsv: first row names the columns (true)
        Normalizer.Form normalization,  // NFC, NFKC, ...; null: text as written (null)
        boolean dedupe,                 // drop exact duplicates of an earlier kept document (true)
        int minChars,                   // drop documents with fewer code points, after normalization (1)
        double valFraction,             // share of documents sent to validation, by text hash (0)
        long maxDocumentBytes) {        // bound on one document, line or csv record, in bytes (256 MiB)

    public static final CorpusOptions DEFAULTS =
            new CorpusOptions(false, "text", "text", true, null, true, 1, 0.0, 1L << 28);

    public CorpusOptions {
        if (jsonField == null || jsonField.isEmpty()) throw new IllegalArgumentException("jsonField must be named");
        if (column == null || column.isEmpty()) throw new IllegalArgumentException("column must be named");
        if (!header && !column.chars().allMatch(Character::isDigit))
            throw new IllegalArgumentException("without a header row the column must be an index: " + column);
        if (minChars < 0) throw new IllegalArgumentException("minChars must be >= 0: " + minChars);
        if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("valFraction must be in [0, 1): " + valFraction);
        if (maxDocumentBytes <= 0 || maxDocumentBytes > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("maxDocumentBytes out of range: " + maxDocumentBytes);
    }

    public CorpusOptions withSplitParagraphs(boolean v) { return new CorpusOptions(v, jsonField, column, header, normalization, dedupe, minChars, valFraction, maxDocumentBytes); }
    public CorpusOptions withJsonField(String v) { return new CorpusOptions(splitParagraphs, v, column, header, normalization, dedupe, minChars, valFraction, maxDocumentBytes); }
    public CorpusOptions withColumn(String v, boolean hasHeader) { return new CorpusOptions(splitParagraphs, jsonField, v, hasHeader, normalization, dedupe, minChars, valFraction, maxDocumentBytes); }
    public CorpusOptions withNormalization(Normalizer.Form v) { return new CorpusOptions(splitParagraphs, jsonField, column, header, v, dedupe, minChars, valFraction, maxDocumentBytes); }
    public CorpusOptions withDedupe(boolean v) { return new CorpusOptions(splitParagraphs, jsonField, column, header, normalization, v, minChars, valFraction, maxDocumentBytes); }
    public CorpusOptions withMinChars(int v) { return new CorpusOptions(splitParagraphs, jsonField, column, header, normalization, dedupe, v, valFraction, maxDocumentBytes); }
    public CorpusOptions withValFraction(double v) { return new CorpusOptions(splitParagraphs, jsonField, column, header, normalization, dedupe, minChars, v, maxDocumentBytes); }
    public CorpusOptions withMaxDocumentBytes(long v) { return new CorpusOptions(splitParagraphs, jsonField, column, header, normalization, dedupe, minChars, valFraction, v); }
}
