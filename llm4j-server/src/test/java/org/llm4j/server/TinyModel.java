// A tiny random GPT with a character tokenizer, saved as a model folder, and a server on a free port.
package org.llm4j.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.tokenizer.CharTokenizer;

final class TinyModel {
    static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?'\"-\n";

    private TinyModel() {}

    /** Saves a random 2-layer GPT (C = 32, context 128) with a character tokenizer into dir; returns the loaded folder. */
    static ModelFiles.Loaded folder(Path dir) throws IOException {
        CharTokenizer tok = CharTokenizer.fit(ALPHABET);
        GPT model = new GPT(new GPTConfig(tok.vocabSize(), 128, 2, 2, 32, 0f, 1e-5f), 7);
        ModelFiles.save(dir, model, tok);
        return ModelFiles.load(dir);
    }

    /** A started server for the folder with the given options; log lines collected in the list. */
    static Server start(ModelFiles.Loaded loaded, ServerOptions.Builder opt, List<String> log) {
        return new Server(loaded, opt.port(0).log(log::add).build()).start();
    }

    static ServerOptions.Builder options() {
        return ServerOptions.builder("tiny");
    }

    static List<String> log() {
        return new CopyOnWriteArrayList<>();
    }

    static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(int port, String path, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
