// One line describing the machine a benchmark ran on: CPU model, cores, OS, JVM, kernels.
package org.llm4j.util;

import java.nio.file.Files;
import java.nio.file.Path;

public final class Machine {
    private Machine() {}

    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (Exception ignored) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    public static String describe() {
        return String.format("%s, %d cores, %s %s, Java %s (%s), max heap %d MiB", cpuModel(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"), Runtime.getRuntime().maxMemory() >> 20);
    }
}
