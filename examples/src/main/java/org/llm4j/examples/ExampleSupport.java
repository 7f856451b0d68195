// What the examples share: "--name value" arguments and the folder of local corpora.
package org.llm4j.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

final class ExampleSupport {
    private ExampleSupport() {}

    /** "--epochs 3 --limit 500" → {epochs=3, limit=500}; every option takes a value. */
    static Map<String, String> args(String[] argv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("arguments are --name value pairs; got '" + argv[i] + "'");
            m.put(argv[i].substring(2), argv[++i]);
        }
        return m;
    }

    static int intArg(Map<String, String> a, String name, int dflt) {
        String v = a.get(name);
        try {
            return v == null ? dflt : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": '" + v + "' is not an integer");
        }
    }

    /**
     * The corpora folder: --data, else -Dllm4j.data.mirror, else $LLM4J_DATA_MIRROR, else
     * ../shared/data beside the checkout (the layout of these machines).
     */
    static Path dataDir(Map<String, String> a) {
        for (String c : new String[]{a.get("data"), System.getProperty("llm4j.data.mirror"), System.getenv("LLM4J_DATA_MIRROR"), "../shared/data", "../../shared/data"}) {
            if (c != null && !c.isBlank() && Files.isDirectory(Path.of(c))) return Path.of(c);
        }
        throw new IllegalArgumentException("no corpus folder: pass --data DIR or set LLM4J_DATA_MIRROR (a folder holding tinyshakespeare/, sst2/, ...)");
    }
}
