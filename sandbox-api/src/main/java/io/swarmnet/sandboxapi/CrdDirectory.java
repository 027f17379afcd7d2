package io.swarmnet.sandboxapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The CRD manifests installed at start: {@code crds/*.yaml} of the repository, or a given directory. */
final class CrdDirectory {

    private CrdDirectory() {
    }

    /** Walks up from the working directory to the first {@code crds/} holding CRD YAML. */
    static Optional<Path> find() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("crds");
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
            dir = dir.getParent();
        }
        return Optional.empty();
    }

    static List<ObjectNode> read(Path directory) {
        List<ObjectNode> crds = new ArrayList<>();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList()) {
                try (YAMLParser parser = ((YAMLFactory) yaml.getFactory()).createParser(file.toFile())) {
                    for (JsonNode document : yaml.readValues(parser, JsonNode.class).readAll()) {
                        if (document instanceof ObjectNode crd && "CustomResourceDefinition".equals(crd.path("kind").asText())) {
                            crds.add(crd);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CRDs from " + directory + ": " + e.getMessage(), e);
        }
        return crds;
    }
}
