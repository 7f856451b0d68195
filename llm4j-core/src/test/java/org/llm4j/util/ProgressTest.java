// Progress: log-mode lines with scaled byte units and the extra message; silence when disabled.
package org.llm4j.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @AfterEach
    void restore() {
        Progress.clearEnabledOverride();
    }

    @Test
    void logModeWritesAFinalLineWithScaledBytesAndExtra() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Progress p = Progress.start("download tinyshakespeare", 1_115_394, "B", lines::add)) {
            p.step(100_000).stepTo(1_115_394);
            p.setExtra("12.3 MiB/s");
            assertThat(p.current()).isEqualTo(1_115_394);
        }
        assertThat(lines).isNotEmpty();
        String last = lines.getLast();
        assertThat(last).contains("download tinyshakespeare", "100%", "1089/1089KiB", "12.3 MiB/s");
        assertThat(lines).allSatisfy(l -> assertThat(l).doesNotContain("\r", "\u001b"));
    }

    @Test
    void logModeIsThrottled() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Progress p = Progress.start("train", 1000, "step", lines::add, 60_000)) {
            for (int i = 0; i < 1000; i++) p.step();
        }
        // at most the first render and the final one
        assertThat(lines).hasSizeLessThanOrEqualTo(2);
        assertThat(lines.getLast()).contains("1000/1000 step");
    }

    @Test
    void disabledPrintsNothing() {
        PrintStream saved = System.err;
        var captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Progress.setEnabled(false);
            assertThat(Progress.isEnabled()).isFalse();
            try (Progress p = Progress.start("quiet", 10, "B")) {
                p.step(5).setExtra("x");
                assertThat(p.current()).isEqualTo(5);
            }
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void systemPropertyDisables() {
        String saved = System.getProperty(Progress.ENABLED_PROPERTY);
        try {
            System.setProperty(Progress.ENABLED_PROPERTY, "false");
            assertThat(Progress.isEnabled()).isFalse();
        } finally {
            if (saved == null) System.clearProperty(Progress.ENABLED_PROPERTY);
            else System.setProperty(Progress.ENABLED_PROPERTY, saved);
        }
    }

    @Test
    void byteScaleKeepsTheTotalAtLeastTen() {
        assertThat(Progress.byteScale(9_000)).isEqualTo(1);
        assertThat(Progress.byteScale(1_115_394)).isEqualTo(1 << 10);
        assertThat(Progress.byteScale(500L << 20)).isEqualTo(1 << 20);
        assertThat(Progress.byteScale(20L << 30)).isEqualTo(1 << 30);
    }
}
