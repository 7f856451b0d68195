// Where a named corpus comes from and how to recognise a good copy of it.
package org.llm4j.data;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

public record DatasetSpec(
        String name,        // registry key and cache/mirror folder name, e.g. "tinyshakespeare"
        String url,         // canonical download URL (http or https)
        String fileName,    // file name inside <cache>/datasets/<name>/ and <mirror>/<name>/
        String sha256,      // lowercase hex of the whole file
        long sizeBytes,     // exact size of the file
        String license,
        String description) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public DatasetSpec {
        // name and fileName become path segments: refuse anything that could leave the folder.
        if (name == null || !NAME.matcher(name).matches())
            throw new IllegalArgumentException("dataset name must match " + NAME + ": " + name);
        if (fileName == null || fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\")
                || fileName.equals(".") || fileName.equals(".."))
            throw new IllegalArgumentException("dataset " + name + ": fileName must be a plain file name: " + fileName);
        if (url == null) throw new IllegalArgumentException("dataset " + name + ": url is required");
        String scheme = URI.create(url).getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")))
            throw new IllegalArgumentException("dataset " + name + ": url must be http(s): " + url);
        sha256 = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
        if (sha256 == null || !SHA256.matcher(sha256).matches())
            throw new IllegalArgumentException("dataset " + name + ": sha256 must be 64 hex digits: " + sha256);
        if (sizeBytes <= 0)
            throw new IllegalArgumentException("dataset " + name + ": sizeBytes must be positive: " + sizeBytes);
    }

    // The same dataset fetched from another address (a test server, an internal mirror).
    public DatasetSpec withUrl(String newUrl) {
        return new DatasetSpec(name, newUrl, fileName, sha256, sizeBytes, license, description);
    }
}
