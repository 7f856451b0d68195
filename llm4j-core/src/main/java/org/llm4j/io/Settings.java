// Settings read from a system property or, failing that, an environment variable.
package org.llm4j.io;

import java.nio.file.Path;
import java.util.Locale;

/** One reading of llm4j's settings for the dataset store, the Hub client and the tokenizer cache. */
public final class Settings {
    /** The cache folder's system property and environment variable. */
    public static final String CACHE_PROPERTY = "llm4j.cache", CACHE_ENV = "LLM4J_CACHE";

    private Settings() {}

    /**
     * -Dproperty, else $env; null when neither is set. Blank values and unresolved build
     * placeholders ("${...}", as Maven passes an unset variable) count as unset; values are stripped.
     */
    public static String value(String property, String env) {
        for (String v : new String[] {System.getProperty(property), System.getenv(env)}) {
            if (v != null && !v.isBlank() && !v.startsWith("${")) return v.strip();
        }
        return null;
    }

    /** Whether a yes/no setting is on: 1, true, yes or on (any case). */
    public static boolean isOn(String value) {
        return value != null && switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            default -> false;
        };
    }

    /** llm4j's cache folder: -Dllm4j.cache, $LLM4J_CACHE, else ~/.cache/llm4j. */
    public static Path cacheRoot() {
        String cache = value(CACHE_PROPERTY, CACHE_ENV);
        return cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "llm4j");
    }
}
