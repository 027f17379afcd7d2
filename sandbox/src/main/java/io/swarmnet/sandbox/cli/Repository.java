package io.swarmnet.sandbox.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The swarmnet checkout the CLI runs from: where crds/ and examples/ are. */
public final class Repository {

    public static final String ENV_HOME = "SWARMNET_HOME";

    private Repository() {
    }

    /** SWARMNET_HOME (set by ./swarmnet), else the checkout holding the running jar (sandbox/target/x.jar), else the working directory. */
    public static Path locate(Map<String, String> env) {
        String fromEnv = env.get(ENV_HOME);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv).toAbsolutePath().normalize();
        }
        try {
            Path code = Path.of(Repository.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = code; dir != null; dir = dir.getParent()) {
                if (Files.isDirectory(dir.resolve("crds")) && Files.isDirectory(dir.resolve("examples"))) {
                    return dir;
                }
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the working directory
        }
        return Path.of("").toAbsolutePath();
    }

    public static Path crds(Path repository) {
        Path crds = repository.resolve("crds");
        if (!Files.isDirectory(crds)) {
            throw new CliFailure("no crds/ directory in " + repository + "; run ./swarmnet from the swarmnet checkout or set "
                    + ENV_HOME);
        }
        return crds;
    }
}
