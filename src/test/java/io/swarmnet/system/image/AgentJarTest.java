package io.swarmnet.system.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swarmnet.system.chart.RepositoryLayout;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's runnable jar — the file the Dockerfile copies into the image as agent.jar, run as root on every node —
 * holds the agent and nothing built for tests: no class of the multi-node simulation (simulation/), none of the
 * test doubles and helpers in node-daemonset's test sources. Skipped while the jar is not built (`mvn test` stops
 * before packaging) or older than node-daemonset's compiled classes; `mvn verify` and `mvn install` build it first.
 */
class AgentJarTest {

    private static final String SIMULATION_PACKAGE = "io/swarmnet/agent/simulation/";

    @Test
    void holdsTheAgentAndNoSimulationOrTestClass() throws IOException {
        RepositoryLayout repo = RepositoryLayout.find();
        Path jar = currentAgentJar(repo.root());

        Set<String> classes = new TreeSet<>();
        String mainClass;
        try (JarFile file = new JarFile(jar.toFile())) {
            mainClass = file.getManifest().getMainAttributes().getValue("Main-Class");
            for (JarEntry entry : Collections.list(file.entries())) {
                if (entry.getName().endsWith(".class")) {
                    classes.add(entry.getName());
                }
            }
        }
        assertThat(mainClass).as("Main-Class of " + jar).isEqualTo("io.swarmnet.agent.NodeAgent");
        assertThat(classes).as("the agent's classes in " + jar)
                .contains("io/swarmnet/agent/NodeAgent.class", "io/swarmnet/agent/datapath/LinuxDatapath.class");

        assertThat(classes.stream().filter(name -> name.startsWith(SIMULATION_PACKAGE)))
                .as("classes of io.swarmnet.agent.simulation in " + jar + ": the simulation is simulation/'s, for the sandbox and tests")
                .isEmpty();
        assertThat(classes).as(jar + " holds the test double RecordingDatapath")
                .doesNotContain("io/swarmnet/agent/RecordingDatapath.class");
        List<String> testClasses = new ArrayList<>();
        for (String sources : List.of("node-daemonset/src/test/java", "simulation/src/main/java", "simulation/src/test/java")) {
            for (String source : javaSources(repo.root().resolve(sources))) {
                String binaryName = source.substring(0, source.length() - ".java".length());
                classes.stream()
                        .filter(name -> name.equals(binaryName + ".class") || name.startsWith(binaryName + "$"))
                        .forEach(testClasses::add);
            }
        }
        assertThat(testClasses).as("classes in " + jar + " whose sources are node-daemonset's tests or simulation/").isEmpty();
    }

    /** node-daemonset/target/swarmnet-node-daemonset-*-all.jar, the one the Dockerfile expects, if built from the current classes. */
    private static Path currentAgentJar(Path root) throws IOException {
        Path target = root.resolve("node-daemonset/target");
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> found = Files.newDirectoryStream(target, "swarmnet-node-daemonset-*-all.jar")) {
                found.forEach(jars::add);
            }
        }
        assumeTrue(!jars.isEmpty(), "node-daemonset/target/swarmnet-node-daemonset-*-all.jar is not built; run mvn -pl node-daemonset -am package first");
        assertThat(jars).as("runnable agent jars in " + target + " (the Dockerfile copies exactly one)").hasSize(1);
        Path jar = jars.get(0);
        FileTime built = Files.getLastModifiedTime(jar);
        Path classes = target.resolve("classes");
        if (Files.isDirectory(classes)) {
            try (Stream<Path> all = Files.walk(classes)) {
                Path newer = all.filter(Files::isRegularFile)
                        .filter(path -> lastModified(path).compareTo(built) > 0)
                        .findFirst().orElse(null);
                assumeTrue(newer == null, jar + " is older than " + newer + "; run mvn -pl node-daemonset -am package to rebuild it");
            }
        }
        return jar;
    }

    /** Paths of the .java files under the source root {@code dir}, relative to it, with / between names. */
    private static List<String> javaSources(Path dir) throws IOException {
        assertThat(dir).as("a source root of the repository").isDirectory();
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(path -> path.toString().endsWith(".java"))
                    .map(path -> dir.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/"))
                    .toList();
        }
    }

    private static FileTime lastModified(Path path) {
        try {
            return Files.getLastModifiedTime(path);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the modification time of " + path, e);
        }
    }
}
