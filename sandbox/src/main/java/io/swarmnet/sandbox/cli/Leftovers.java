package io.swarmnet.sandbox.cli;

import io.swarmnet.sandbox.SandboxHome;
import io.swarmnet.sandbox.kubelet.HostPrograms;
import io.swarmnet.sandbox.kubelet.NetnsFiles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a sandbox leaves behind when its daemon did not stop cleanly (killed, machine state lost): network
 * namespaces and root devices named with its prefix (the simulation harness's naming: PREFIX-node1, PREFIX-p7,
 * PREFIXn1-net-3, PREFIX-ul, PREFIX-u1), the processes inside those namespaces, their /etc/netns files, the
 * harness's pod registry under /run/swarmnet-simulation and the state directory. A clean {@code down} finds none of it; this is the safety net.
 */
public final class Leftovers {

    private final SandboxHome home;

    public Leftovers(SandboxHome home) {
        this.home = home;
    }

    public List<String> namespaces() {
        String[] names = new File("/run/netns").list();
        if (names == null) {
            return List.of();
        }
        Pattern ours = Pattern.compile(Pattern.quote(home.prefix()) + "(-.*|n\\d+-.*)");
        return Stream.of(names).filter(n -> ours.matcher(n).matches()).sorted().toList();
    }

    /** The simulation harness's pod registry of this prefix (it removes it on a clean stop). */
    Path harnessDir() {
        return Path.of("/run/swarmnet-simulation", home.prefix());
    }

    public List<String> rootDevices() {
        String[] names = new File("/sys/class/net").list();
        if (names == null) {
            return List.of();
        }
        return Stream.of(names).filter(n -> n.startsWith(home.prefix() + "-")).sorted().toList();
    }

    /** /etc/netns entries of our namespaces, also those whose namespace is already gone. */
    public List<String> netnsFiles() {
        String[] names = new File("/etc/netns").list();
        if (names == null) {
            return List.of();
        }
        Pattern ours = Pattern.compile(Pattern.quote(home.prefix()) + "(-.*|n\\d+-.*)");
        return Stream.of(names).filter(n -> ours.matcher(n).matches()).sorted().toList();
    }

    /** Everything found, described for a user ("netns swn-p3", "device swn-ul", "directory /run/swarmnet-sandbox"). */
    public List<String> describe() {
        List<String> found = new ArrayList<>();
        namespaces().forEach(n -> found.add("netns " + n));
        rootDevices().forEach(d -> found.add("device " + d));
        netnsFiles().stream().filter(n -> !namespaces().contains(n)).forEach(n -> found.add("directory /etc/netns/" + n));
        if (Files.exists(harnessDir())) {
            found.add("directory " + harnessDir());
        }
        if (Files.exists(home.dir())) {
            found.add("directory " + home.dir());
        }
        return found;
    }

    /** Removes everything {@link #describe()} lists; returns what it removed. */
    public List<String> remove() {
        List<String> found = describe();
        for (String ns : namespaces()) {
            NetnsFiles.killRemaining(ns);
            NetnsFiles.remove(ns);
            HostPrograms.run(List.of(HostPrograms.IP, "netns", "del", ns));
        }
        netnsFiles().forEach(NetnsFiles::remove);
        for (String device : rootDevices()) {
            HostPrograms.run(List.of(HostPrograms.IP, "link", "del", "dev", device));
        }
        deleteTree(harnessDir());
        deleteTree(home.dir());
        return found;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
