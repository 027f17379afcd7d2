package io.swarmnet.agent.simulation;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.agent.AgentConfig;
import io.swarmnet.agent.NodeAgent;
import io.swarmnet.agent.datapath.DatapathConfig;
import io.swarmnet.agent.datapath.LinuxDatapath;
import io.swarmnet.agent.datapath.NetNamespace;
import io.swarmnet.agent.datapath.PodAttachmentMode;
import io.swarmnet.agent.datapath.VipBalancing;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.netns.PodNamespaceLocator;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.api.net.IpAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One simulated node's agent as its own process, so that it can be killed with SIGKILL mid-flight. It runs in
 * the root network namespace (to reach the API on 127.0.0.1) and programs the node through its datapath's
 * host namespace. Arguments: API URL, node name, node namespace, underlay address, underlay MTU, datapath
 * prefix, pod registry directory ({@link SimulatedCluster#podRegistry}), pod attachment ({@code macvlan} or {@code veth}),
 * VIP balancing ({@code nft} or {@code socket}).
 */
public final class SimulatedNodeAgentMain {

    private SimulatedNodeAgentMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println("usage: SimulatedNodeAgentMain API_URL NODE NODE_NAMESPACE UNDERLAY_ADDRESS UNDERLAY_MTU PREFIX POD_REGISTRY "
                    + "POD_ATTACHMENT VIP_BALANCING");
            System.exit(2);
        }
        KubernetesClient client = KubernetesClients.builder().withConfig(new ConfigBuilder().withMasterUrl(args[0])
                .withTrustCerts(true).build()).build();
        NodeFacts node = new NodeFacts(args[1], IpAddress.parse(args[3]), Integer.parseInt(args[4]));
        PodNamespaceLocator locator = SimulatedPodNamespaceLocator.reading(Path.of(args[6]));
        LinuxDatapath datapath = new LinuxDatapath(new DatapathConfig(args[5], new NetNamespace.Named(args[2]), 4,
                Duration.ofSeconds(30)).withAttachment(PodAttachmentMode.parse("pod attachment", args[7]))
                .withVipBalancing(VipBalancing.parse("VIP balancing", args[8]), java.util.Optional.empty(), java.util.Optional.empty()),
                locator);
        NodeAgent agent = NodeAgent.start(client, AgentConfig.forNode(node).withBackoff(Duration.ofMillis(50), Duration.ofMillis(500)),
                datapath, locator);
        System.out.println("agent of " + node.nodeName() + " started");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            datapath.close();
            client.close();
        }));
        Thread.currentThread().join();
    }
}
