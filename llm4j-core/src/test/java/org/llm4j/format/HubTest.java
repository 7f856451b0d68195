package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.kernels.DType;

/**
 * The Hub download path against a local server that answers as huggingface.co does: LFS files
 * redirect to a CDN path with X-Linked-Etag = sha256, other files carry their git blob id as ETag.
 */
class HubTest {
    @TempDir Path tmp;
    HttpServer server;
    Path served;
    final List<String> requests = new CopyOnWriteArrayList<>();
    volatile boolean corrupt;

    static String hex(String alg, byte[]... parts) {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance(alg);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (byte[] p : parts) d.update(p);
        return HexFormat.of().formatHex(d.digest());
    }

    @BeforeEach
    void start() throws Exception {
        served = FormulaGpt2.writeFolder(tmp.resolve("served"), DType.F32);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            String p = ex.getRequestURI().getPath();
            requests.add(p);
            try {
                if (p.startsWith("/org/tiny-gpt2/resolve/main/")) {
                    Path f = served.resolve(p.substring("/org/tiny-gpt2/resolve/main/".length()));
                    if (!Files.isRegularFile(f)) {
                        ex.sendResponseHeaders(404, -1);
                    } else if (f.toString().endsWith(".safetensors")) {
                        ex.getResponseHeaders().add("X-Linked-Etag", "\"" + hex("SHA-256", Files.readAllBytes(f)) + "\"");
                        ex.getResponseHeaders().add("Location", "/cdn/" + f.getFileName());
                        ex.sendResponseHeaders(302, -1);
                    } else {
                        byte[] body = Files.readAllBytes(f);
                        ex.getResponseHeaders().add("ETag", "\"" + hex("SHA-1", ("blob " + body.length + "\0").getBytes(StandardCharsets.UTF_8), body) + "\"");
                        ex.sendResponseHeaders(200, body.length);
                        ex.getResponseBody().write(body);
                    }
                } else if (p.startsWith("/cdn/")) {
                    byte[] body = Files.readAllBytes(served.resolve(p.substring(5)));
                    if (corrupt) body[body.length - 1] ^= 1;
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                } else {
                    ex.sendResponseHeaders(404, -1);
                }
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    Hub hub(boolean offline) {
        return new Hub(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), tmp.resolve("cache"), offline, null);
    }

    @Test
    void downloadsVerifiesCachesAndWorksOfflineAfterwards() throws Exception {
        Path dir = hub(false).snapshot("org/tiny-gpt2", "main");
        assertThat(dir).isEqualTo(tmp.resolve("cache/hub/org--tiny-gpt2/main"));
        for (String f : new String[]{"config.json", "tokenizer.json", "model.safetensors", "generation_config.json"}) {
            assertThat(dir.resolve(f)).hasSameBinaryContentAs(served.resolve(f));
        }
        assertThat(requests).contains("/cdn/model.safetensors");
        assertThat(ModelFiles.load(dir).model().config()).isEqualTo(ModelFiles.load(served).model().config());

        requests.clear();
        assertThat(hub(false).snapshot("org/tiny-gpt2", "main")).isEqualTo(dir);
        assertThat(requests).as("a second call is served from the cache").isEmpty();
        server.stop(0);
        assertThat(hub(true).snapshot("org/tiny-gpt2", "main")).isEqualTo(dir);
    }

    @Test
    void aCorruptedDownloadIsRefusedAndNotCached() {
        corrupt = true;
        assertThatThrownBy(() -> hub(false).snapshot("org/tiny-gpt2", "main"))
                .hasMessageContaining("model.safetensors").hasMessageContaining("sha256").hasMessageContaining("announced");
        Path dir = tmp.resolve("cache/hub/org--tiny-gpt2/main");
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        assertThat(dir.resolve("model.safetensors.part")).doesNotExist();
    }

    @Test
    void offlineMissingRepositoriesAndBadIdsFailClearly() {
        assertThatThrownBy(() -> hub(true).snapshot("org/tiny-gpt2", "main")).hasMessageContaining("config.json").hasMessageContaining("offline");
        assertThatThrownBy(() -> hub(false).snapshot("org/nothing", "main")).hasMessageContaining("HTTP 404").hasMessageContaining("config.json");
        assertThatThrownBy(() -> hub(false).snapshot("../etc", "main")).hasMessageContaining("Hub repository id");
        assertThatThrownBy(() -> hub(false).snapshot("org/tiny-gpt2", "../x")).hasMessageContaining("revision");
    }
}
