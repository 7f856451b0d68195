// Hugging Face Hub downloads: a repository id such as "gpt2" becomes a local model folder in the cache.
package org.llm4j.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import com.fasterxml.jackson.databind.JsonNode;
import org.llm4j.io.AtomicFiles;
import org.llm4j.io.Settings;
import org.llm4j.util.Progress;

/**
 * Files come from {@code {endpoint}/{repo}/resolve/{revision}/{file}}, the URL the Hub's own
 * clients use, into {@code {cache}/hub/{org}--{name}/{revision}/}. Integrity: for files stored
 * with Git LFS (weights) the Hub sends the sha256 of the content as X-Linked-Etag; other files
 * carry their git blob id (sha1 of "blob {size}\0" + content) as ETag. Both are checked before
 * a file is renamed into the cache, so the cache never holds a partial or corrupted file.
 *
 * <p>Settings: endpoint -Dllm4j.hub.endpoint / $HF_ENDPOINT (default https://huggingface.co);
 * token $HF_TOKEN (Authorization: Bearer); cache -Dllm4j.cache / $LLM4J_CACHE (default
 * ~/.cache/llm4j); offline -Dllm4j.offline / $LLM4J_OFFLINE / $HF_HUB_OFFLINE: only the cache is used.
 */
public final class Hub {
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}"), SHA1 = Pattern.compile("[0-9a-f]{40}");

    private final URI endpoint;
    private final Path cacheRoot;
    private final boolean offline;
    private final String token;

    public Hub(URI endpoint, Path cacheRoot, boolean offline, String token) {
        String e = endpoint.toString();
        this.endpoint = URI.create(e.endsWith("/") ? e : e + "/");
        this.cacheRoot = cacheRoot.toAbsolutePath();
        this.offline = offline;
        this.token = token;
    }

    /** The Hub as the environment configures it (see the class comment). */
    public static Hub fromEnvironment() {
        String ep = Settings.value("llm4j.hub.endpoint", "HF_ENDPOINT");
        String off = Settings.value("llm4j.offline", "LLM4J_OFFLINE");
        if (off == null) off = System.getenv("HF_HUB_OFFLINE");
        return new Hub(URI.create(ep != null ? ep : "https://huggingface.co"), Settings.cacheRoot(), Settings.isOn(off), System.getenv("HF_TOKEN"));
    }

    /** True when s names an existing folder rather than a Hub repository. */
    public static boolean isLocal(String s) {
        try {
            return Files.isDirectory(Path.of(s));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * A local folder for a model: s itself when it is a folder, else the Hub repository s
     * ("gpt2", "openai-community/gpt2") at revision "main", downloaded into the cache as needed.
     */
    public Path modelFolder(String s) throws IOException {
        return isLocal(s) ? Path.of(s) : snapshot(s, "main");
    }

    /** Downloads (or finds in the cache) what a model folder needs: config, tokenizer, weights. */
    public Path snapshot(String repo, String revision) throws IOException {
        if (!REPO.matcher(repo).matches()) throw new IllegalArgumentException("'" + repo + "' is neither a folder nor a Hub repository id (owner/name)");
        if (!REVISION.matcher(revision).matches()) throw new IllegalArgumentException("invalid revision '" + revision + "'");
        Path dir = cacheRoot.resolve("hub").resolve(repo.replace("/", "--")).resolve(revision);
        fetch(repo, revision, dir, "config.json", true);
        fetch(repo, revision, dir, "generation_config.json", false);
        if (fetch(repo, revision, dir, "tokenizer.json", false).isEmpty()) {
            fetch(repo, revision, dir, "vocab.json", true);
            fetch(repo, revision, dir, "merges.txt", true);
        }
        if (fetch(repo, revision, dir, "model.safetensors", false).isEmpty()) {
            Optional<Path> index = fetch(repo, revision, dir, "model.safetensors.index.json", false);
            if (index.isEmpty()) {
                throw new IOException(repo + "@" + revision + ": has neither model.safetensors nor model.safetensors.index.json"
                        + " (llm4j reads safetensors weights only, never pickled pytorch_model.bin)");
            }
            JsonNode map = org.llm4j.io.Json.parse(Files.readString(index.get())).path("weight_map");
            java.util.Set<String> shards = new java.util.TreeSet<>();
            map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
            for (String shard : shards) {
                if (!ModelFiles.plainFileName(shard)) {
                    throw new IOException(index.get() + ": invalid shard file name '" + shard + "'");
                }
                fetch(repo, revision, dir, shard, true);
            }
        }
        return dir;
    }

    private HttpClient client;

    // One client for all of a snapshot's files (its connections are reused), created on first download.
    private synchronized HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).followRedirects(HttpClient.Redirect.NORMAL).build();
        }
        return client;
    }

    /** One file into dir (or found there); empty when optional and the Hub has no such file. */
    Optional<Path> fetch(String repo, String revision, Path dir, String file, boolean required) throws IOException {
        Path target = dir.resolve(file);
        if (Files.isRegularFile(target)) return Optional.of(target);
        Path missing = dir.resolve("." + file + ".absent");
        if (!required && Files.exists(missing)) return Optional.empty();
        if (offline) {
            if (!required) return Optional.empty();
            throw new IOException(repo + ": " + file + " is not in the cache (" + target + ") and offline mode (LLM4J_OFFLINE / HF_HUB_OFFLINE) forbids downloading it");
        }
        URI uri = endpoint.resolve(path(repo) + "/resolve/" + revision + "/" + URLEncoder.encode(file, StandardCharsets.UTF_8).replace("+", "%20"));
        Files.createDirectories(dir);
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).header("User-Agent", "llm4j");
            if (token != null) req.header("Authorization", "Bearer " + token);
            HttpResponse<InputStream> resp = client().send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = resp.statusCode();
            if (status == 404 && !required) {
                resp.body().close();
                AtomicFiles.writeString(missing, "");
                return Optional.empty();
            }
            if (status != 200) {
                resp.body().close();
                String why = status == 401 || status == 403 ? " (a gated or private repository: set HF_TOKEN)" : "";
                throw new IOException("HTTP " + status + " for " + uri + why);
            }
            String expected = expectedDigest(resp);
            long size = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
            Path part = dir.resolve(file + ".part");
            MessageDigest sha256 = digest("SHA-256"), sha1 = digest("SHA-1");
            if (expected != null && SHA1.matcher(expected).matches() && size >= 0) {
                sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.UTF_8));
            }
            long got = 0;
            try (InputStream in = resp.body(); OutputStream out = Files.newOutputStream(part);
                 Progress bar = size < 0 || size > (1 << 20) ? Progress.start("download " + file, Math.max(size, 0), "B") : null) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    sha256.update(buf, 0, n);
                    sha1.update(buf, 0, n);
                    got += n;
                    if (bar != null) bar.stepTo(got);
                }
            }
            if (size >= 0 && got != size) {
                Files.deleteIfExists(part);
                throw new IOException(uri + ": received " + got + " of " + size + " bytes; run again to retry");
            }
            if (expected != null) {
                boolean lfs = SHA256.matcher(expected).matches();
                String actual = HexFormat.of().formatHex((lfs ? sha256 : sha1).digest());
                if (!actual.equals(expected)) {
                    Files.deleteIfExists(part);
                    throw new IOException(repo + ": " + file + " from " + uri + " has " + (lfs ? "sha256 " : "git blob id ") + actual
                            + " but the Hub announced " + expected + "; deleted the download");
                }
            }
            AtomicFiles.fsync(part);
            AtomicFiles.move(part, target);
            return Optional.of(target);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + uri);
        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
            throw new IOException("cannot reach " + uri + " (" + e.getClass().getSimpleName() + "); with no network, set LLM4J_OFFLINE=1 and place the folder in "
                    + dir + ", or pass a local folder instead of a repository id");
        }
    }

    private static String path(String repo) {
        return repo.startsWith("/") ? repo.substring(1) : repo;
    }

    // The Hub names an LFS file's sha256 in X-Linked-Etag on its redirect; ETag holds the git blob id otherwise.
    static String expectedDigest(HttpResponse<?> resp) {
        for (HttpResponse<?> r = resp; r != null; r = r.previousResponse().orElse(null)) {
            Optional<String> linked = r.headers().firstValue("X-Linked-Etag");
            if (linked.isPresent()) return clean(linked.get());
        }
        for (HttpResponse<?> r = resp; r != null; r = r.previousResponse().orElse(null)) {
            Optional<String> etag = r.headers().firstValue("ETag");
            if (etag.isPresent()) {
                String e = clean(etag.get());
                if (SHA256.matcher(e).matches() || SHA1.matcher(e).matches()) return e;
            }
        }
        return null;
    }

    private static String clean(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e.toLowerCase(Locale.ROOT);
    }

    private static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " is missing from this JVM", e);
        }
    }
}
