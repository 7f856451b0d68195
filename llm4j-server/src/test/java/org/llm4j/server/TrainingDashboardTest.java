// The training dashboard: its JSON follows a real training run, and in headless Chromium the page
// draws the run's curves.
package org.llm4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.train.TokenData;
import org.llm4j.train.TrainConfig;
import org.llm4j.train.Trainer;
import org.llm4j.util.Progress;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

class TrainingDashboardTest {
    static final String TEXT = "to be or not to be, that is the question. ".repeat(60);

    static HttpResponse<String> get(int port, String path) throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A tiny GPT trained for 12 steps with the dashboard listening, evaluating every 6. */
    static void train(TrainingDashboard dash, Path dir) throws Exception {
        Progress.setEnabled(false);
        CharTokenizer tok = CharTokenizer.fit(TEXT);
        LanguageModel m = new GPTConfig(tok.vocabSize(), 16, 1, 2, 16, 0f, 1e-5f).build(1);
        TrainConfig tc = new TrainConfig(4, 16, 12, 1e-3f, 1e-4f, 2, 12, 0.1f, 0.9f, 0.99f, 1f, 6, 2, 1, 1, dir);
        Trainer.fit(m, tok, TokenData.split(tok.encode(TEXT), 0.1), tc, false, dash);
        dash.onSample(12, "to be or not");
        dash.finish();
    }

    @Test
    void stateFollowsATrainingRun(@TempDir Path dir) throws Exception {
        try (TrainingDashboard dash = new TrainingDashboard("test run", "127.0.0.1", 0)) {
            train(dash, dir);
            JsonNode all = new ObjectMapper().readTree(get(dash.port(), "/api/state?since=0").body());
            assertThat(all.path("title").asText()).isEqualTo("test run");
            assertThat(all.path("finished").asBoolean()).isTrue();
            assertThat(all.path("steps")).hasSize(12);
            assertThat(all.path("steps").get(11).get(0).asInt()).isEqualTo(12);
            assertThat(all.path("evals").size()).isGreaterThanOrEqualTo(2);
            assertThat(all.path("samples").get(0).path("text").asText()).isEqualTo("to be or not");
            JsonNode tail = new ObjectMapper().readTree(get(dash.port(), "/api/state?since=10").body());
            assertThat(tail.path("from").asInt()).isEqualTo(10);
            assertThat(tail.path("steps")).hasSize(2);
            assertThat(get(dash.port(), "/api/state?since=x").statusCode()).isEqualTo(400);
            assertThat(get(dash.port(), "/").body()).contains("llm4j training", "api/state");
        }
    }

    @Test
    void thePageDrawsTheCurves(@TempDir Path dir) throws Exception {
        Path chromium = PlaygroundBrowserTest.CHROMIUM, driver = PlaygroundBrowserTest.DRIVER;
        assumeTrue(Files.isExecutable(chromium) && Files.isExecutable(driver), "needs Debian's chromium and chromium-driver (.ci/run installs them)");
        try (TrainingDashboard dash = new TrainingDashboard("browser run", "127.0.0.1", 0)) {
            train(dash, dir);
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver.toString())).usingAnyFreePort().build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium.toString());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
            WebDriver d = new ChromeDriver(service, options);
            try {
                d.get("http://127.0.0.1:" + dash.port() + "/");
                PlaygroundBrowserTest.await("the curves", () -> "12".equals(d.findElement(By.tagName("body")).getAttribute("data-steps")));
                assertThat(d.findElement(By.id("status")).getText()).contains("finished", "step 12", "val");
                assertThat(d.findElement(By.id("samples")).getText()).contains("to be or not");
                // the loss canvas has ink on it: some pixel is not transparent
                Object inked = ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
                        "const c = document.getElementById('loss'); const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                                + " for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true; return false;");
                assertThat(inked).isEqualTo(Boolean.TRUE);
            } finally {
                d.quit();
            }
        }
    }
}
