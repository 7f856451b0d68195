// Options shared by the commands that read a corpus of documents (tokenizer train, data prepare).
package org.llm4j.cli;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.llm4j.data.CorpusOptions;
import org.llm4j.data.CorpusReader;
import org.llm4j.data.Dataset;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

final class CorpusOptionsMixin {
    @Mixin Common.DataOptions data = new Common.DataOptions();

    @Option(names = "--data", required = true, split = ",", paramLabel = "NAME|PATH",
            description = "Named corpora (tinyshakespeare), files, folders or globs of .txt/.jsonl/.csv/.tsv (optionally .gz); comma separated or repeated.")
    List<String> inputs;
    @Option(names = "--field", defaultValue = "text", description = "JSONL field holding the text. Default: ${DEFAULT-VALUE}.")
    String field;
    @Option(names = "--column", defaultValue = "text", description = "CSV/TSV column (name, or 0-based index). Default: ${DEFAULT-VALUE}.")
    String column;
    @Option(names = "--no-header", description = "CSV/TSV files have no header row.")
    boolean noHeader;
    @Option(names = "--paragraphs", description = "Split .txt files into documents at blank lines.")
    boolean paragraphs;
    @Option(names = "--normalize", paramLabel = "nfc|nfkc", description = "Unicode normalization of every document.")
    String normalize;
    @Option(names = "--no-dedupe", description = "Keep exact duplicate documents.")
    boolean noDedupe;
    @Option(names = "--min-chars", defaultValue = "1", description = "Drop documents shorter than this. Default: ${DEFAULT-VALUE}.")
    int minChars;

    CorpusOptions options(double valFraction) {
        Normalizer.Form form = switch (normalize == null ? "" : normalize.toLowerCase(java.util.Locale.ROOT)) {
            case "" -> null;
            case "nfc" -> Normalizer.Form.NFC;
            case "nfkc" -> Normalizer.Form.NFKC;
            default -> throw new IllegalArgumentException("--normalize must be nfc or nfkc, got '" + normalize + "'");
        };
        if (minChars < 0) throw new IllegalArgumentException("--min-chars must be >= 0, got " + minChars);
        return CorpusOptions.DEFAULTS.withJsonField(field).withColumn(column, !noHeader).withSplitParagraphs(paragraphs)
                .withNormalization(form).withDedupe(!noDedupe).withMinChars(minChars).withValFraction(valFraction);
    }

    /** Input files: named corpora resolved through the cache/mirror/download, the rest expanded as paths and globs. */
    List<Path> files() {
        List<String> paths = new ArrayList<>();
        List<Path> named = new ArrayList<>();
        for (String in : inputs) {
            if (Dataset.find(in).isPresent() && !java.nio.file.Files.exists(Path.of(in))) named.add(data.store().resolve(in));
            else paths.add(in);
        }
        List<Path> out = new ArrayList<>(named);
        if (!paths.isEmpty()) out.addAll(CorpusReader.expand(paths));
        return out;
    }
}
