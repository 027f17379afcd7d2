package io.swarmnet.system.k3s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import com.github.dockerjava.api.command.CreateContainerCmd;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A k3s cluster of one server and N agents, each a Docker container on one Docker network, with the
 * swarmnet image preloaded (k3s imports every tar in agent/images at start, so nothing is pulled).
 */
final class K3sCluster implements AutoCloseable {

    /** Override with -Dswarmnet.k3s.image=rancher/k3s:TAG. */
    static final String IMAGE = System.getProperty("swarmnet.k3s.image", "rancher/k3s:v1.31.5-k3s1");

    private static final String SERVER_ALIAS = "k3s-server";
    private static final String PRELOADED_IMAGES = "/var/lib/rancher/k3s/agent/images/swarmnet.tar";
    /*
     * The node agent mounts /run/netns with Bidirectional propagation, which needs it to be a shared
     * mount on the node; inside a Docker container every mount is private, so make them shared before
     * k3s starts (as k3d's entry point does).
     */
    private static final String[] SHARED_MOUNTS_ENTRYPOINT = {
            "/bin/sh", "-c", "mount --make-rshared / && exec /bin/k3s \"$@\"", "k3s"};

    private final Network network;
    private final K3sContainer server;
    private final List<GenericContainer<?>> agents;
    private final Path kubeconfig;

    private K3sCluster(Network network, K3sContainer server, List<GenericContainer<?>> agents, Path kubeconfig) {
        this.network = network;
        this.server = server;
        this.agents = agents;
        this.kubeconfig = kubeconfig;
    }

    static K3sCluster start(int agentCount, Path imageTar) throws IOException {
        String token = UUID.randomUUID().toString();
        Network network = Network.newNetwork();
        Consumer<CreateContainerCmd> sharedMounts = cmd -> cmd.withEntrypoint(SHARED_MOUNTS_ENTRYPOINT);
        K3sContainer server = new K3sContainer(DockerImageName.parse(IMAGE))
                .withNetwork(network)
                .withNetworkAliases(SERVER_ALIAS)
                .withEnv("K3S_TOKEN", token)
                .withCopyFileToContainer(MountableFile.forHostPath(imageTar), PRELOADED_IMAGES)
                .withCreateContainerCmdModifier(sharedMounts);
        List<GenericContainer<?>> agents = new ArrayList<>();
        K3sCluster cluster = null;
        try {
            server.start();
            for (int i = 0; i < agentCount; i++) {
                GenericContainer<?> agent = new GenericContainer<>(DockerImageName.parse(IMAGE))
                        .withNetwork(network)
                        .withPrivilegedMode(true)
                        .withFileSystemBind("/sys/fs/cgroup", "/sys/fs/cgroup")
                        .withTmpFs(java.util.Map.of("/run", "", "/var/run", ""))
                        .withEnv("K3S_URL", "https://" + SERVER_ALIAS + ":6443")
                        .withEnv("K3S_TOKEN", token)
                        .withCopyFileToContainer(MountableFile.forHostPath(imageTar), PRELOADED_IMAGES)
                        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withCgroupnsMode("host"))
                        .withCreateContainerCmdModifier(sharedMounts)
                        .withCommand("agent");
                agents.add(agent);
                agent.start();
            }
            Path config = Files.createTempFile("k3s-kubeconfig", ".yaml");
            Files.writeString(config, server.getKubeConfigYaml());
            cluster = new K3sCluster(network, server, agents, config);
            return cluster;
        } finally {
            if (cluster == null) {
                agents.forEach(GenericContainer::stop);
                server.stop();
                network.close();
            }
        }
    }

    Path kubeconfig() {
        return kubeconfig;
    }

    int nodeCount() {
        return 1 + agents.size();
    }

    @Override
    public void close() throws IOException {
        try {
            agents.forEach(GenericContainer::stop);
            server.stop();
            network.close();
        } finally {
            Files.deleteIfExists(kubeconfig);
        }
    }
}
