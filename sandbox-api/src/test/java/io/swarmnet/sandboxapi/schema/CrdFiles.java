package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the real generated CRDs from the repository's crds/ directory, found by walking up from the working directory. */
final class CrdFiles {

    private CrdFiles() {
    }

    static JsonNode read(String file) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("crds").resolve(file))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("crds/" + file + " not found in " + Path.of("").toAbsolutePath()
                    + " or any parent; run the tests inside the swarmnet checkout");
        }
        try {
            return Manifest.YAML.readTree(dir.resolve("crds").resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
