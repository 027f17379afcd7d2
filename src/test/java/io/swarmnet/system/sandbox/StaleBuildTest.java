package io.swarmnet.system.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.system.chart.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher never runs a stale build: scripts/stale-build.sh on a made-up tree, and ./swarmnet copied beside a
 * fake mvn, java and install-deps.sh, so nothing of the real checkout is built.
 */
class StaleBuildTest {

    private static final Path REPOSITORY = Shell.findRepository();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** When the jar was built: a day ago, so that a rebuild by the fake mvn makes it newer than every source. */
    private static final Instant BUILT = Instant.now().minus(Duration.ofDays(1));

    @TempDir
    Path tree;
    private Path jar;

    /** A checkout as ./swarmnet sees it: poms, two modules' main sources, all older than the sandbox jar. */
    @BeforeEach
    void checkout() throws IOException {
        for (String file : List.of("pom.xml", "api/pom.xml", "api/src/main/java/io/swarmnet/api/Vni.java",
                "sandbox/pom.xml", "sandbox/src/main/java/io/swarmnet/sandbox/SwarmnetCli.java",
                "sandbox/src/main/resources/logback.xml", "sandbox/src/test/java/io/swarmnet/sandbox/SwarmnetCliTest.java")) {
            write(file, "source");
        }
        jar = write("sandbox/target/swarmnet-sandbox-0.1.0-SNAPSHOT-all.jar", "jar");
        try (var all = Files.walk(tree)) {
            for (Path path : all.toList()) {
                Files.setLastModifiedTime(path, FileTime.from(BUILT.minusSeconds(3600)));
            }
        }
        Files.setLastModifiedTime(jar, FileTime.from(BUILT));
    }

    @Test
    void aJarNewerThanEverySourceIsCurrent() {
        HostCommand.Result result = staleBuild(jar, tree.resolve("pom.xml"), tree.resolve("api/src/main"), tree.resolve("sandbox/src/main"));

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr()).isEmpty();
    }

    @Test
    void namesTheFirstSourceChangedAfterTheJar() throws IOException {
        Path edited = tree.resolve("api/src/main/java/io/swarmnet/api/Vni.java");
        Files.setLastModifiedTime(edited, FileTime.from(BUILT.plusSeconds(1)));

        HostCommand.Result result = staleBuild(jar, tree.resolve("pom.xml"), tree.resolve("api/src/main"), tree.resolve("sandbox/src/main"));

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.stdout()).isEqualTo(edited + "\n");
    }

    @Test
    void aDeletedSourceFileShowsAsItsChangedDirectory() throws IOException {
        Path resources = tree.resolve("sandbox/src/main/resources");
        Files.delete(resources.resolve("logback.xml"));

        HostCommand.Result result = staleBuild(jar, tree.resolve("sandbox/src/main"));

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.stdout()).isEqualTo(resources + "\n");
    }

    @Test
    void aChangedTestIsNotASourceOfTheJar() throws IOException {
        Files.setLastModifiedTime(tree.resolve("sandbox/src/test/java/io/swarmnet/sandbox/SwarmnetCliTest.java"),
                FileTime.from(BUILT.plusSeconds(1)));

        HostCommand.Result result = staleBuild(jar, tree.resolve("pom.xml"), tree.resolve("api/src/main"), tree.resolve("sandbox/src/main"));

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
    }

    @Test
    void refusesAMissingJarOrSourcePathNamingIt() {
        Path noJar = tree.resolve("sandbox/target/none.jar");
        HostCommand.Result withoutJar = staleBuild(noJar, tree.resolve("pom.xml"));
        assertThat(withoutJar.exitCode()).isEqualTo(2);
        assertThat(withoutJar.stderr()).isEqualTo("stale-build.sh: no jar at " + noJar + ": build it first (mvn package)\n");

        Path noSources = tree.resolve("operator/src/main");
        HostCommand.Result withoutSources = staleBuild(jar, tree.resolve("pom.xml"), noSources);
        assertThat(withoutSources.exitCode()).isEqualTo(2);
        assertThat(withoutSources.stderr()).contains("no file or directory " + noSources).contains("pass only existing source paths");

        HostCommand.Result noArguments = HostCommand.run(TIMEOUT, List.of(REPOSITORY.resolve("scripts/stale-build.sh").toString()));
        assertThat(noArguments.exitCode()).isEqualTo(2);
        assertThat(noArguments.stderr()).startsWith("usage: scripts/stale-build.sh JAR PATH...");
    }

    @Test
    void sandboxUpRebuildsAStaleJarSayingWhyAndRunsTheCurrentOneAsIs() throws IOException {
        Path bin = launcherWithFakeTools();
        Path edited = tree.resolve("sandbox/src/main/java/io/swarmnet/sandbox/SwarmnetCli.java");

        HostCommand.Result current = swarmnet(bin, "sandbox", "up");
        assertThat(current.exitCode()).as(current.toString()).isZero();
        assertThat(current.stderr()).doesNotContain("building");
        assertThat(current.stdout()).isEqualTo("java -jar " + jar + " sandbox up\n");

        Files.setLastModifiedTime(edited, FileTime.from(BUILT.plusSeconds(1)));
        HostCommand.Result stale = swarmnet(bin, "sandbox", "up", "--nodes", "2");
        assertThat(stale.exitCode()).as(stale.toString()).isZero();
        assertThat(stale.stderr()).isEqualTo("swarmnet: building (sandbox/src/main/java/io/swarmnet/sandbox/SwarmnetCli.java changed "
                + "since sandbox/target/swarmnet-sandbox-0.1.0-SNAPSHOT-all.jar was built)\n");
        assertThat(stale.stdout()).isEqualTo("mvn -B -q -DskipTests -pl sandbox -am package\njava -jar " + jar + " sandbox up --nodes 2\n");

        // the fake mvn wrote the jar anew: current again
        HostCommand.Result rebuilt = swarmnet(bin, "demo");
        assertThat(rebuilt.stderr()).doesNotContain("building");
        assertThat(rebuilt.stdout()).isEqualTo("java -jar " + jar + " demo\n");
    }

    @Test
    void commandsOnARunningSandboxUseTheJarThereIsEvenWhenStale() throws IOException {
        Path bin = launcherWithFakeTools();
        Files.setLastModifiedTime(tree.resolve("pom.xml"), FileTime.from(BUILT.plusSeconds(1)));

        for (String command : List.of("kubeconfig", "down")) {
            HostCommand.Result result = swarmnet(bin, "sandbox", command);
            assertThat(result.stderr()).as(result.toString()).isEmpty();
            assertThat(result.stdout()).isEqualTo("java -jar " + jar + " sandbox " + command + "\n");
        }
    }

    @Test
    void aFirstRunBuildsSayingSo() throws IOException {
        Path bin = launcherWithFakeTools();
        Files.delete(jar);

        HostCommand.Result result = swarmnet(bin, "sandbox", "kubeconfig");

        assertThat(result.stderr()).as(result.toString()).isEqualTo("swarmnet: building (first run)\n");
        assertThat(result.stdout()).startsWith("mvn -B -q -DskipTests -pl sandbox -am package\n");
    }

    private HostCommand.Result staleBuild(Path jar, Path... sources) {
        List<String> command = new ArrayList<>(List.of(REPOSITORY.resolve("scripts/stale-build.sh").toString(), jar.toString()));
        for (Path source : sources) {
            command.add(source.toString());
        }
        return HostCommand.run(TIMEOUT, command);
    }

    /** The real ./swarmnet and stale-build.sh in the made-up tree; mvn, java and install-deps.sh print what they were asked. */
    private Path launcherWithFakeTools() throws IOException {
        Files.copy(REPOSITORY.resolve("swarmnet"), tree.resolve("swarmnet"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(tree.resolve("scripts"));
        Files.copy(REPOSITORY.resolve("scripts/stale-build.sh"), tree.resolve("scripts/stale-build.sh"), StandardCopyOption.COPY_ATTRIBUTES);
        executable(tree.resolve("scripts/install-deps.sh"), "#!/bin/sh\n");
        Path bin = Files.createDirectories(tree.resolve("bin"));
        executable(bin.resolve("mvn"), "#!/bin/sh\necho \"mvn $*\"\n: > \"" + jar + "\"\n");
        executable(bin.resolve("java"), "#!/bin/sh\nwhile [ \"$1\" != -jar ]; do shift; done\necho \"java $*\"\n");
        return bin;
    }

    private HostCommand.Result swarmnet(Path bin, String... args) {
        List<String> command = new ArrayList<>(List.of(tree.resolve("swarmnet").toString()));
        command.addAll(List.of(args));
        return HostCommand.run(TIMEOUT, command, Map.of("PATH", bin + ":/usr/bin:/bin", "SWARMNET_CLUSTER_CACHE", tree.resolve("cache").toString()));
    }

    private Path write(String file, String text) throws IOException {
        Path path = tree.resolve(file);
        Files.createDirectories(path.getParent());
        return Files.writeString(path, text);
    }

    private static void executable(Path path, String script) throws IOException {
        Files.writeString(path, script);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
