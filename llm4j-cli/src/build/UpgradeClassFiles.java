// Build step (run by the llm4j-cli POM after shading): rewrites the class files of the named
// packages in a jar from class-file versions below 50 (Java 5 and older) to version 52, with stack
// map frames computed by the JDK's ClassFile API. Why: the JDK's ahead-of-time cache, which
// bin/llm4j records for fast starts, cannot hold classes older than version 50, and picocli ships
// as version 49, so every start loaded and verified its ~170 classes from the jar (about 50 ms of
// the time to first token). The code of each method is unchanged; only the version and the frames
// the newer verifier needs are written.
//
// Usage: java UpgradeClassFiles.java JAR PACKAGE/ [PACKAGE/...]   (rewrites JAR atomically)

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

public class UpgradeClassFiles {
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: java UpgradeClassFiles.java JAR PACKAGE/ [PACKAGE/...]");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        List<String> prefixes = List.of(args).subList(1, args.length);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Map<String, Long> times = new LinkedHashMap<>();
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                entries.put(e.getName(), z.readAllBytes());
                times.put(e.getName(), e.getTime());
            }
        }
        // Frames need the class hierarchy: the JDK's classes, then the jar's own.
        ClassHierarchyResolver jarClasses = ClassHierarchyResolver.ofResourceParsing(desc -> {
            String d = desc.descriptorString();
            byte[] b = entries.get(d.substring(1, d.length() - 1) + ".class");
            return b == null ? null : new ByteArrayInputStream(b);
        });
        ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver().orElse(jarClasses)),
                ClassFile.StackMapsOption.GENERATE_STACK_MAPS);
        int upgraded = 0;
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(".class") || prefixes.stream().noneMatch(name::startsWith)) continue;
            ClassModel cm = cf.parse(e.getValue());
            if (cm.majorVersion() >= 50) continue;
            try {
                e.setValue(cf.transformClass(cm, ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                        .andThen((cb, ce) -> {
                            if (ce instanceof ClassFileVersion) cb.withVersion(52, 0);
                            else cb.with(ce);
                        })));
            } catch (RuntimeException ex) {
                throw new IllegalStateException(jar + ": cannot upgrade " + name + ": " + ex.getMessage(), ex);
            }
            upgraded++;
        }
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(tmp))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (times.get(e.getKey()) >= 0) ze.setTime(times.get(e.getKey()));
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("UpgradeClassFiles: " + upgraded + " classes of " + prefixes + " in " + jar + " now at class-file version 52");
    }
}
