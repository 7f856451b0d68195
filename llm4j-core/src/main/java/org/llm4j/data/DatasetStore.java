// Turns a corpus name or a path into a local file: the user's own path, else the cache, else a
// mirror folder, else a download; every copy is checked against the registry's size and sha256.
package org.llm4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.llm4j.io.AtomicFiles;
import org.llm4j.io.Settings;
import org.llm4j.util.Progress;

public final class DatasetStore {
    public static final String CACHE_PROPERTY = Settings.CACHE_PROPERTY;
    public static final String CACHE_ENV = Settings.CACHE_ENV;
    public static final String MIRROR_PROPERTY = "llm4j.data.mirror";
    public static final String MIRROR_ENV = "LLM4J_DATA_MIRROR";
    public static final String OFFLINE_PROPERTY = "llm4j.offline";
    public static final String OFFLINE_ENV = "LLM4J_OFFLINE";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(15);
    // Longest wait for the response headers, and longest silence in the middle of a body.
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

    private static final String MARKER_SUFFIX = ".sha256-ok";
    private static final String PART_SUFFIX = ".part";
    private static final int COPY_BUFFER = 1 << 16;
    // One JVM-wide monitor per cache folder: FileLock guards against other processes only.
    private static final ConcurrentHashMap<Path, Object> FOLDER_MONITORS = new ConcurrentHashMap<>();

    private final Path cacheRoot;
    private final Path mirror;           // null: no mirror
    private final boolean offline;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Consumer<String> progressLines; // null: Progress decides (terminal bar or stderr log)

    public DatasetStore(Path cacheRoot, Path mirror, boolean offline) {
        this(cacheRoot, mirror, offline, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, null);
    }

    private DatasetStore(Path cacheRoot, Path mirror, boolean offline, Duration connectTimeout,
                         Duration readTimeout, Consumer<String> progressLines) {
        this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot").toAbsolutePath();
        this.mirror = mirror == null ? null : mirror.toAbsolutePath();
        this.offline = offline;
        this.connectTimeout = positive(connectTimeout, "connectTimeout");
        this.readTimeout = positive(readTimeout, "readTimeout");
        this.progressLines = progressLines;
    }

    // The store the CLI uses: system properties win over environment variables.
    //   cache:   -Dllm4j.cache, $LLM4J_CACHE, else ~/.cache/llm4j
    //   mirror:  -Dllm4j.data.mirror, $LLM4J_DATA_MIRROR, else none (the CLI adds --mirror DIR)
    //   offline: -Dllm4j.offline, $LLM4J_OFFLINE (1/true/yes)
    public static DatasetStore fromEnvironment() {
        String mirror = Settings.value(MIRROR_PROPERTY, MIRROR_ENV);
        boolean off = Settings.isOn(Settings.value(OFFLINE_PROPERTY, OFFLINE_ENV));
        return new DatasetStore(Settings.cacheRoot(), mirror == null ? null : Path.of(mirror), off);
    }

    public DatasetStore withMirror(Path newMirror) {
        return new DatasetStore(cacheRoot, newMirror, offline, connectTimeout, readTimeout, progressLines);
    }

    public DatasetStore withOffline(boolean newOffline) {
        return new DatasetStore(cacheRoot, mirror, newOffline, connectTimeout, readTimeout, progressLines);
    }

    public DatasetStore withTimeouts(Duration connect, Duration read) {
        return new DatasetStore(cacheRoot, mirror, offline, connect, read, progressLines);
    }

    // Send download progress to this line sink (log format) instead of the terminal or stderr.
    public DatasetStore withProgressLines(Consumer<String> lines) {
        return new DatasetStore(cacheRoot, mirror, offline, connectTimeout, readTimeout, lines);
    }

    public Path cacheRoot() {
        return cacheRoot;
    }

    public Optional<Path> mirror() {
        return Optional.ofNullable(mirror);
    }

    public boolean offline() {
        return offline;
    }

    // <cache>/datasets/<name>/<fileName>
    public Path cachePath(DatasetSpec spec) {
        return cacheRoot.resolve("datasets").resolve(spec.name()).resolve(spec.fileName());
    }

    // An existing file or folder path wins; else a registered dataset name. A folder is returned
    // as is; TextLoader reads its *.txt files.
    public Path resolve(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) throw new DatasetException("empty dataset name or path");
        Path local = null;
        try {
            local = Path.of(nameOrPath);
        } catch (InvalidPathException ignored) {
            // not a path on this OS; may still be a name
        }
        if (local != null && Files.exists(local)) return local;
        Optional<DatasetSpec> spec = Dataset.find(nameOrPath);
        if (spec.isPresent()) return resolve(spec.get());
        throw new DatasetException("'" + nameOrPath + "' is neither a known dataset nor an existing file or folder"
                + (local == null ? "" : " (" + local.toAbsolutePath() + ")") + "; known datasets: " + Dataset.knownNames());
    }

    // A registered dataset fetched from another URL (a test server, an internal mirror).
    public Path resolve(String name, String url) {
        return resolve(Dataset.get(name).withUrl(url));
    }

    public Path resolve(DatasetSpec spec) {
        Path cached = cachePath(spec);
        if (Files.isRegularFile(cached) && cacheIsGood(spec, cached)) return cached;
        Path mirrored = mirror == null ? null : mirror.resolve(spec.name()).resolve(spec.fileName());
        if (mirrored != null && Files.isRegularFile(mirrored)) return fromMirror(spec, mirrored, cached);
        if (offline)
            throw new DatasetException("dataset " + spec.name() + " is not in the cache (" + cached + ")"
                    + mirrorNote(mirrored) + ", and offline mode (" + OFFLINE_ENV + " or --offline) forbids downloading "
                    + spec.url() + "; " + remedy(spec));
        return withFolderLock(spec, cached, () -> {
            // another process may have finished the download while we waited for the lock
            if (Files.isRegularFile(cached) && cacheIsGood(spec, cached)) return cached;
            return download(spec, cached);
        });
    }

    public String readText(String nameOrPath) {
        return TextLoader.read(resolve(nameOrPath));
    }

    public String readText(String nameOrPath, long maxBytes) {
        return TextLoader.read(resolve(nameOrPath), maxBytes);
    }

    // ---- cache ----

    // The marker records sha256, size and modification time of the file it vouches for, so a
    // cached corpus is hashed once, and again only if someone changes it.
    private boolean cacheIsGood(DatasetSpec spec, Path cached) {
        Path marker = markerOf(cached);
        try {
            if (Files.isRegularFile(marker)
                    && Files.readString(marker, StandardCharsets.UTF_8).strip().equals(markerLine(spec, cached)))
                return true;
            String problem = check(spec, cached);
            if (problem == null) {
                writeMarker(spec, cached);
                return true;
            }
            System.err.println("llm4j: cached " + cached + " " + problem + "; deleted it, fetching " + spec.name() + " again");
            Files.deleteIfExists(cached);
            Files.deleteIfExists(marker);
            return false;
        } catch (IOException e) {
            throw new DatasetException("cannot check cached dataset " + spec.name() + " at " + cached + ": " + e, e);
        }
    }

    private static Path markerOf(Path cached) {
        return cached.resolveSibling(cached.getFileName() + MARKER_SUFFIX);
    }

    private static String markerLine(DatasetSpec spec, Path file) throws IOException {
        return spec.sha256() + " " + Files.size(file) + " " + Files.getLastModifiedTime(file).toMillis();
    }

    private static void writeMarker(DatasetSpec spec, Path cached) {
        try {
            AtomicFiles.writeString(markerOf(cached), markerLine(spec, cached) + "\n");
        } catch (IOException e) {
            // only costs a re-hash next time
            System.err.println("llm4j: cannot write " + markerOf(cached) + ": " + e.getMessage());
        }
    }

    // null when file has the spec's size and sha256, else what is wrong with it.
    private static String check(DatasetSpec spec, Path file) throws IOException {
        long size = Files.size(file);
        if (size != spec.sizeBytes()) return "is " + size + " bytes, expected " + spec.sizeBytes();
        String actual = sha256(file);
        if (!actual.equals(spec.sha256())) return "has sha256 " + actual + ", expected " + spec.sha256();
        return null;
    }

    // ---- mirror ----

    // The mirror is someone else's folder (often read-only): a bad file there is reported, never
    // deleted. A good one is copied into the cache so it is hashed only once; if the cache is not
    // writable it is read in place.
    private Path fromMirror(DatasetSpec spec, Path mirrored, Path cached) {
        String problem;
        try {
            problem = check(spec, mirrored);
        } catch (IOException e) {
            throw new DatasetException("cannot read mirror file " + mirrored + " for dataset " + spec.name() + ": " + e, e);
        }
        if (problem != null)
            throw new DatasetException("mirror file " + mirrored + " " + problem + " for dataset " + spec.name()
                    + "; replace it with a fresh copy of " + spec.url());
        try {
            return withFolderLock(spec, cached, () -> {
                AtomicFiles.write(cached, out -> Files.copy(mirrored, out));
                writeMarker(spec, cached);
                return cached;
            });
        } catch (DatasetException e) {
            System.err.println("llm4j: cannot copy " + mirrored + " into the cache (" + e.getMessage() + "); reading it in place");
            return mirrored;
        }
    }

    // ---- download ----

    private Path download(DatasetSpec spec, Path cached) throws IOException {
        Path part = cached.resolveSibling(cached.getFileName() + PART_SUFFIX);
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (have > spec.sizeBytes() || (have == spec.sizeBytes() && check(spec, part) != null)) {
            Files.delete(part);
            have = 0;
        }
        if (have < spec.sizeBytes()) transfer(spec, part, have);
        String problem = check(spec, part);
        if (problem != null) {
            Files.deleteIfExists(part);
            throw new DatasetException("download of dataset " + spec.name() + " from " + spec.url() + " " + problem
                    + "; deleted it. The file at that URL differs from the one llm4j knows; " + remedy(spec));
        }
        AtomicFiles.fsync(part);
        AtomicFiles.move(part, cached);
        writeMarker(spec, cached);
        return cached;
    }

    // Fetches the rest of the file into part, from byte `have` on. A server that ignores the
    // Range header answers 200 with the whole file, and part is rewritten from the start.
    private void transfer(DatasetSpec spec, Path part, long have) throws IOException {
        URI uri;
        try {
            uri = URI.create(spec.url());
        } catch (IllegalArgumentException e) {
            throw new DatasetException("dataset " + spec.name() + ": bad URL " + spec.url() + ": " + e.getMessage(), e);
        }
        try (HttpClient client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .version(HttpClient.Version.HTTP_1_1)
                .build()) {
            HttpResponse<InputStream> response = send(client, spec, uri, have);
            if (have > 0 && response.statusCode() == 416) {
                // the server no longer has those bytes (the file shrank): start over
                response.body().close();
                Files.deleteIfExists(part);
                have = 0;
                response = send(client, spec, uri, 0);
            }
            int status = response.statusCode();
            if (status == 206 && !contentRangeStartsAt(response, have)) {
                response.body().close();
                Files.deleteIfExists(part);
                have = 0;
                response = send(client, spec, uri, 0);
                status = response.statusCode();
            }
            if (status != 200 && status != 206) {
                response.body().close();
                throw new DatasetException("server answered HTTP " + status + " for " + spec.url()
                        + " (dataset " + spec.name() + "); " + remedy(spec));
            }
            if (status == 200) have = 0;
            copyBody(spec, response.body(), part, have);
        }
    }

    private HttpResponse<InputStream> send(HttpClient client, DatasetSpec spec, URI uri, long from) {
        var request = HttpRequest.newBuilder(uri)
                .timeout(readTimeout)
                .header("User-Agent", "llm4j")
                .GET();
        if (from > 0) request.header("Range", "bytes=" + from + "-");
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new DatasetException("timed out after " + connectTimeout.toSeconds() + " s connecting to " + uri.getHost()
                    + " to download dataset " + spec.name() + " (" + spec.url() + "); no network? " + remedy(spec), e);
        } catch (HttpTimeoutException e) {
            throw new DatasetException("no answer within " + readTimeout.toSeconds() + " s from " + spec.url()
                    + " (dataset " + spec.name() + "); try again later, or " + remedy(spec), e);
        } catch (ConnectException e) {
            throw new DatasetException("cannot connect to " + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                    + " to download dataset " + spec.name() + " (" + spec.url() + "): " + describe(e)
                    + "; no network? " + remedy(spec), e);
        } catch (IOException e) {
            throw new DatasetException("cannot download dataset " + spec.name() + " from " + spec.url() + ": "
                    + describe(e) + "; " + remedy(spec), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatasetException("interrupted while downloading dataset " + spec.name() + " from " + spec.url(), e);
        }
    }

    private static boolean contentRangeStartsAt(HttpResponse<?> response, long from) {
        // "Content-Range: bytes 500-999/1000" (RFC 9110, 14.4)
        return response.headers().firstValue("Content-Range")
                .map(v -> v.strip().toLowerCase(Locale.ROOT).startsWith("bytes " + from + "-"))
                .orElse(false);
    }

    // Copies body to part (appending when have > 0), never past the expected size, with a
    // watchdog that gives up when no byte arrives for readTimeout: HttpClient has no read
    // timeout of its own once the headers are in, and a stalled server would hang us forever.
    private void copyBody(DatasetSpec spec, InputStream body, Path part, long have) throws IOException {
        var lastByte = new AtomicLong(System.nanoTime());
        var stalled = new AtomicBoolean();
        long limitNanos = readTimeout.toNanos();
        Thread watchdog = Thread.ofVirtual().name("llm4j-download-watchdog").start(() -> {
            try {
                while (true) {
                    long idle = System.nanoTime() - lastByte.get();
                    if (idle >= limitNanos) {
                        stalled.set(true);
                        body.close(); // wakes the blocked read, which then sees end of stream
                        return;
                    }
                    Thread.sleep(Duration.ofNanos(Math.max(limitNanos - idle, 1_000_000)));
                }
            } catch (InterruptedException | IOException ignored) {
                // download finished, or the stream is already closed
            }
        });
        long got = have;
        boolean tooLong = false;
        var options = have > 0
                ? new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND}
                : new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING};
        String task = "download " + spec.name();
        try (body;
             OutputStream out = Files.newOutputStream(part, options);
             Progress progress = progressLines == null
                     ? Progress.start(task, spec.sizeBytes(), "B")
                     : Progress.start(task, spec.sizeBytes(), "B", progressLines)) {
            progress.stepTo(got);
            byte[] buf = new byte[COPY_BUFFER];
            int n;
            while ((n = body.read(buf)) >= 0) {
                lastByte.set(System.nanoTime());
                if (got + n > spec.sizeBytes()) {
                    tooLong = true;
                    break;
                }
                out.write(buf, 0, n);
                got += n;
                progress.stepTo(got);
            }
        } catch (IOException e) {
            if (!stalled.get())
                throw new DatasetException("download of dataset " + spec.name() + " from " + spec.url() + " failed at byte "
                        + got + " of " + spec.sizeBytes() + ": " + describe(e) + "; run again to resume from " + part, e);
        } finally {
            watchdog.interrupt();
        }
        if (tooLong) {
            Files.deleteIfExists(part);
            throw new DatasetException("server sent more than the expected " + spec.sizeBytes() + " bytes for dataset "
                    + spec.name() + " from " + spec.url() + "; the file there has changed or the URL is wrong; "
                    + remedy(spec));
        }
        if (stalled.get())
            throw new DatasetException("no data for " + readTimeout.toSeconds() + " s from " + spec.url() + " (dataset "
                    + spec.name() + ") at byte " + got + " of " + spec.sizeBytes() + "; run again to resume from " + part
                    + ", or " + remedy(spec));
        if (got < spec.sizeBytes())
            throw new DatasetException("download of dataset " + spec.name() + " from " + spec.url() + " ended at byte "
                    + got + " of " + spec.sizeBytes() + "; run again to resume from " + part);
    }

    // ---- helpers ----

    private String remedy(DatasetSpec spec) {
        return "set " + MIRROR_ENV + " (or --mirror DIR) to a folder holding " + spec.name() + "/" + spec.fileName()
                + ", or place the file from " + spec.url() + " at " + cachePath(spec);
    }

    private String mirrorNote(Path mirrored) {
        return mirrored == null ? " and no mirror is set" : " nor in the mirror (" + mirrored + ")";
    }

    private interface IOSupplier<T> {
        T get() throws IOException;
    }

    // Holds a JVM monitor and an OS file lock on <cache>/datasets/<name>/.lock while body runs,
    // so two trainings starting at once do not write the same .part file.
    @SuppressWarnings("try") // the lock is held by being open
    private <T> T withFolderLock(DatasetSpec spec, Path cached, IOSupplier<T> body) {
        Path folder = cached.getParent();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new DatasetException("cannot create cache folder " + folder + " for dataset " + spec.name() + ": "
                    + describe(e) + "; set " + CACHE_ENV + " to a writable folder", e);
        }
        synchronized (FOLDER_MONITORS.computeIfAbsent(folder, f -> new Object())) {
            try (FileChannel ch = FileChannel.open(folder.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                return body.get();
            } catch (IOException e) {
                throw new DatasetException("dataset " + spec.name() + ": file error in the cache folder " + folder + ": "
                        + describe(e) + "; check that it is writable, or set " + CACHE_ENV + " to another folder", e);
            }
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) >= 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    // HttpClient's ConnectException has no message of its own; the socket's cause says why.
    private static String describe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) return m;
        }
        return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    // A set, non-blank value; Maven passes an unset ${env.X} through literally, so skip those.
    private static Duration positive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
        return d;
    }
}
