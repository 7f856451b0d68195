// The playground page in headless Chromium (Debian's chromium and chromium-driver, which .ci/run
// installs): it loads, lists the model, and a prompt streams exactly the server's text into the page.
package org.llm4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

class PlaygroundBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");

    /** Polls until the condition holds; fails after a generous bound (a hung page, not a slow one). */
    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            if (cond.getAsBoolean()) return;
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    @Test
    void promptStreamsIntoThePage(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER), "needs Debian's chromium and chromium-driver (.ci/run installs them)");
        try (Server server = TinyModel.start(TinyModel.folder(dir), TinyModel.options(), TinyModel.log())) {
            String body = "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}";
            String expected = new ObjectMapper().readTree(TinyModel.post(server.port(), "/v1/completions", body).body()).at("/choices/0/text").asText();

            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER.toString())).usingAnyFreePort().build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toString());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
            WebDriver d = new ChromeDriver(service, options);
            try {
                d.get("http://127.0.0.1:" + server.port() + "/");
                assertThat(d.getTitle()).contains("llm4j");
                await("the model list", () -> !d.findElements(By.cssSelector("#model option")).isEmpty());
                assertThat(d.findElement(By.cssSelector("#model option")).getText()).isEqualTo("tiny");
                set(d, "max_tokens", "20");
                set(d, "temperature", "0");
                WebElement prompt = d.findElement(By.id("prompt"));
                prompt.clear();
                prompt.sendKeys("Once upon a time");
                d.findElement(By.id("go")).click();
                await("the finished stream", () -> d.findElement(By.id("stats")).getText().contains("finish"));
                assertThat(d.findElement(By.id("error")).getText()).isEmpty();
                assertThat(d.findElement(By.cssSelector("#output .gen")).getAttribute("textContent")).isEqualTo(expected);
                assertThat(d.findElement(By.id("stats")).getText()).contains("completion 20 tokens", "tokens/s", "finish: length");

                d.findElement(By.cssSelector("#mode option[value=chat]")).click();
                d.findElement(By.id("go")).click();
                await("the chat answer", () -> d.findElements(By.cssSelector("#messages .msg")).size() == 3);
                assertThat(d.findElement(By.id("stats")).getText()).contains("prompt ", "finish:");
            } finally {
                d.quit();
            }
        }
    }

    private static void set(WebDriver d, String id, String value) {
        WebElement e = d.findElement(By.id(id));
        e.clear();
        e.sendKeys(value);
    }
}
