// The corpora llm4j knows by name. Each entry pins size and sha256, so a download or a mirror
// copy is checked before anyone trains on it.
package org.llm4j.data;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

public final class Dataset {
    private Dataset() {}

    public static final DatasetSpec TINYSHAKESPEARE = new DatasetSpec(
            "tinyshakespeare",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            1_115_394,
            "public domain (Shakespeare)",
            "40,000 lines of Shakespeare plays, 65 distinct characters (Karpathy's char-rnn corpus)");

    // The five-story TinyStories sample that Stanford CS336 assignment 1 uses as a BPE fixture,
    // stories separated by <|endoftext|>. The same bytes (sha256 and size) appear in forks of
    // that repository; the mirror keeps it as tinystories-sample/cs336_tinystories_sample.txt.
    public static final DatasetSpec TINYSTORIES_SAMPLE = new DatasetSpec(
            "tinystories-sample",
            "https://raw.githubusercontent.com/stanford-cs336/assignment1-basics/main/tests/fixtures/tinystories_sample.txt",
            "cs336_tinystories_sample.txt",
            "defaedb58bf28079f3e29c6142cb7f3568d331a577e0911c5d7925c465c50c43",
            3_794,
            "CDLA-Sharing-1.0 (TinyStories)",
            "five TinyStories stories separated by <|endoftext|> (Stanford CS336 test fixture)");

    private static final List<DatasetSpec> ALL = List.of(TINYSHAKESPEARE, TINYSTORIES_SAMPLE);

    public static List<DatasetSpec> all() {
        return ALL;
    }

    public static Optional<DatasetSpec> find(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public static DatasetSpec get(String name) {
        return find(name).orElseThrow(() -> new DatasetException(
                "unknown dataset '" + name + "'; known datasets: " + knownNames()));
    }

    public static String knownNames() {
        return ALL.stream().map(DatasetSpec::name).collect(Collectors.joining(", "));
    }
}
