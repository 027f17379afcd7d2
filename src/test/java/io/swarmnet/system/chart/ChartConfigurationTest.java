package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.swarmnet.agent.AgentEnvironment;
import io.swarmnet.agent.datapath.VxlanPort;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.operator.OperatorConfig;
import io.swarmnet.operator.ipam.VniRange;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The environment the chart gives each container is one the real programs accept and read as meant:
 * rendered env → OperatorConfig.fromEnvironment / AgentEnvironment.parse, the code the processes run.
 */
class ChartConfigurationTest {

    static Container container(RenderedChart chart, boolean operator) {
        return operator
                ? chart.one(Deployment.class, "swarmnet-operator").getSpec().getTemplate().getSpec().getContainers().get(0)
                : chart.one(DaemonSet.class, "swarmnet-agent").getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    /** What the kubelet would set: literal values plus the downward-API ones. */
    static Map<String, String> processEnvironment(Container c) {
        Map<String, String> env = new HashMap<>(Containers.literalEnv(c));
        c.getEnv().stream().filter(v -> v.getValueFrom() != null).forEach(v -> env.put(v.getName(),
                switch (v.getValueFrom().getFieldRef().getFieldPath()) {
                    case "spec.nodeName" -> "node-1";
                    case "metadata.namespace" -> RenderedChart.NAMESPACE;
                    case "metadata.name" -> c.getName() + "-pod";
                    default -> throw new AssertionError("unexpected downward-API field " + v.getValueFrom().getFieldRef().getFieldPath());
                }));
        return env;
    }

    private static RenderedChart render(String... args) {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        return RenderedChart.render(helm, RepositoryLayout.find(), args);
    }

    @Test
    void defaultValuesGiveTheOperatorItsDocumentedDefaults() {
        OperatorConfig config = OperatorConfig.fromEnvironment(processEnvironment(container(render(), true)));
        OperatorConfig defaults = OperatorConfig.defaults();
        assertThat(config.addressPools()).isEqualTo(defaults.addressPools());
        assertThat(config.poolSubnetSize()).isEqualTo(defaults.poolSubnetSize());
        assertThat(config.excludedCidrs()).isEqualTo(defaults.excludedCidrs());
        assertThat(config.keyRotationInterval()).isEqualTo(defaults.keyRotationInterval());
        assertThat(config.leaderElection()).isTrue();
        assertThat(config.leaseName()).isEqualTo(defaults.leaseName());
        assertThat(config.httpPort()).isEqualTo(defaults.httpPort());
        assertThat(config.operatorNamespace()).isEqualTo(RenderedChart.NAMESPACE);
        assertThat(config.watchNamespaces()).isEmpty();
        assertThat(config.vxlanIdRange()).isEqualTo(defaults.vxlanIdRange());
    }

    @Test
    void nonDefaultValuesReachTheOperatorsConfiguration() {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        RenderedChart chart = RenderedChart.renderWithValues(helm, RepositoryLayout.find(), NonDefaultValues.YAML);
        OperatorConfig config = OperatorConfig.fromEnvironment(processEnvironment(container(chart, true)));
        assertThat(config.addressPools()).containsExactly(Cidr.parse("172.20.0.0/14"), Cidr.parse("192.168.128.0/17"));
        assertThat(config.poolSubnetSize()).isEqualTo(26);
        assertThat(config.excludedCidrs()).containsExactly(Cidr.parse("172.21.0.0/16"));
        assertThat(config.clusterDomain()).isEqualTo("corp.internal");
        assertThat(config.keyRotationInterval()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.logLevel()).isEqualTo("DEBUG");
        assertThat(config.watchNamespaces()).containsExactly("team-a", "team-b");
        assertThat(config.httpPort()).isEqualTo(8181);
    }

    @Test
    void everyOperatorVariableTheChartSetsIsOneTheOperatorReads() throws IllegalAccessException {
        Set<String> known = new HashSet<>(List.of("POD_NAME")); // the Lease identity
        for (Field field : OperatorConfig.class.getFields()) {
            if (field.getName().startsWith("ENV_") && field.getType() == String.class) {
                known.add((String) field.get(null));
            }
        }
        Container operator = container(render(), true);
        assertThat(operator.getEnv()).extracting(EnvVar::getName)
                .as("a misspelt variable would silently leave the operator on its default").allMatch(known::contains);
    }

    @Test
    void noExcludedRangesReachTheOperatorAsNone() {
        OperatorConfig config = OperatorConfig.fromEnvironment(processEnvironment(
                container(render("--set-json", "network.excludedCidrs=[]"), true)));
        assertThat(config.excludedCidrs()).isEmpty();
    }

    @Test
    void agentReadsItsNodeProcRootPortAndLogLevelFromTheChart() {
        AgentEnvironment env = AgentEnvironment.parse(processEnvironment(container(render("--set", "logLevel=WARN"), false)));
        assertThat(env.nodeName()).isEqualTo("node-1");
        assertThat(env.procRoot()).hasToString("/host/proc");
        assertThat(env.httpPort()).isEqualTo(9642);
        assertThat(env.logLevel()).isEqualTo("warn");
        // the underlay address and MTU come from the Node and the host interface, not from the chart
        assertThat(env.underlayAddress()).isEmpty();
        assertThat(env.underlayMtu()).isEmpty();
        // the key Secret is the operator's, in the release namespace; DNS falls back to the node's resolver
        assertThat(env.keyNamespace()).isEqualTo(RenderedChart.NAMESPACE);
        assertThat(env.dnsUpstream()).isEmpty();
        // encryption: kernel ESP where the node has it, else the userspace datapath, reserving sequences on the host
        assertThat(env.encryptionMode()).isEqualTo(io.swarmnet.agent.encryption.EncryptionSettings.ModeSetting.auto);
        assertThat(env.stateDirectory()).hasToString("/var/lib/swarmnet");
        // the chart's default data path port is the agent's own default
        assertThat(env.vxlanPort()).isEqualTo(VxlanPort.DEFAULT);
        // and so is its pod attachment: macvlan children, no bridge
        assertThat(env.podAttachment()).isEqualTo(io.swarmnet.agent.datapath.PodAttachmentMode.DEFAULT)
                .isEqualTo(io.swarmnet.agent.datapath.PodAttachmentMode.MACVLAN);
    }

    @Test
    void thePodAttachmentReachesTheAgentAndAnUnknownOneIsRefusedByTheChart() {
        RenderedChart chart = render("--set", "agent.podAttachment=veth");
        assertThat(AgentEnvironment.parse(processEnvironment(container(chart, false))).podAttachment())
                .isEqualTo(io.swarmnet.agent.datapath.PodAttachmentMode.VETH);
        assertThatThrownBy(() -> render("--set", "agent.podAttachment=ipvlan")).hasMessageContaining("podAttachment");
    }

    @Test
    void vipBalancingAtTheSocketMountsTheNodesCgroup2RootAndPinsAndReachesBothContainers() {
        // auto, the default: the node's cgroup2 root and its BPF file system, the balancer pinned in its swarmnet directory
        RenderedChart defaults = render();
        AgentEnvironment auto = AgentEnvironment.parse(processEnvironment(container(defaults, false)));
        assertThat(auto.vipBalancing()).isEqualTo(io.swarmnet.agent.datapath.VipBalancing.AUTO);
        assertThat(auto.cgroup2Root()).contains(java.nio.file.Path.of("/host/cgroup2"));
        assertThat(auto.bpfPins()).contains(java.nio.file.Path.of("/host/bpf/swarmnet"));
        var autoPod = defaults.one(DaemonSet.class, "swarmnet-agent").getSpec().getTemplate().getSpec();
        assertThat(autoPod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("cgroup2");
            assertThat(v.getHostPath().getPath()).isEqualTo("/sys/fs/cgroup");
            assertThat(v.getHostPath().getType()).isEqualTo("Directory");
        }).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("bpf-fs");
            assertThat(v.getHostPath().getPath()).isEqualTo("/sys/fs/bpf");
            assertThat(v.getHostPath().getType()).as("the node's own directory, never made by the kubelet").isEqualTo("Directory");
        }).noneMatch(v -> v.getName().equals("bpf-pins"));
        assertThat(container(defaults, false).getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/host/cgroup2"))
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/host/bpf"));
        var autoDns = autoPod.getContainers().stream().filter(c -> c.getName().equals("dns")).findFirst().orElseThrow();
        assertThat(io.swarmnet.agent.dns.DnsSettings.fromEnvironment(processEnvironment(autoDns)).untrackedRedirect())
                .as("with auto the resolver learns the redirect from the agent").isFalse();
        assertThat(render("--set", "agent.bpfFs=/run/bpf").one(DaemonSet.class, "swarmnet-agent").getSpec().getTemplate().getSpec()
                .getVolumes()).as("bpfFs names the node's directory").anySatisfy(v -> {
                    assertThat(v.getName()).isEqualTo("bpf-fs");
                    assertThat(v.getHostPath().getPath()).isEqualTo("/run/bpf");
                });

        RenderedChart nft = render("--set", "agent.vipBalancing=nft");
        AgentEnvironment nftEnv = AgentEnvironment.parse(processEnvironment(container(nft, false)));
        assertThat(nftEnv.vipBalancing()).isEqualTo(io.swarmnet.agent.datapath.VipBalancing.NFT);
        assertThat(nftEnv.bpfPins()).as("where an earlier agent's balancer would be, to remove it")
                .contains(java.nio.file.Path.of("/host/bpf/swarmnet"));
        assertThat(nft.one(DaemonSet.class, "swarmnet-agent").getSpec().getTemplate().getSpec().getVolumes())
                .as("no cgroup2 mount with nft").noneMatch(v -> v.getName().equals("cgroup2"))
                .anySatisfy(v -> assertThat(v.getName()).isEqualTo("bpf-fs"));
        assertThat(render("--set", "agent.bpfPins=/sys/fs/bpf/elsewhere").one(DaemonSet.class, "swarmnet-agent").getSpec()
                .getTemplate().getSpec().getVolumes()).as("auto with bpfPins takes the node as it is").anySatisfy(v -> {
                    assertThat(v.getName()).isEqualTo("bpf-pins");
                    assertThat(v.getHostPath().getType()).isEqualTo("Directory");
                });

        RenderedChart chart = render("--set", "agent.vipBalancing=socket", "--set", "agent.cgroup2Root=/sys/fs/cgroup/unified",
                "--set", "agent.bpfPins=/sys/fs/bpf/swarmnet");
        AgentEnvironment env = AgentEnvironment.parse(processEnvironment(container(chart, false)));
        assertThat(env.vipBalancing()).isEqualTo(io.swarmnet.agent.datapath.VipBalancing.SOCKET);
        assertThat(env.bpfPins()).contains(java.nio.file.Path.of("/sys/fs/bpf/swarmnet"));
        assertThat(env.cgroup2Root()).contains(java.nio.file.Path.of("/host/cgroup2"));
        var pod = chart.one(DaemonSet.class, "swarmnet-agent").getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("cgroup2");
            assertThat(v.getHostPath().getPath()).isEqualTo("/sys/fs/cgroup/unified");
        }).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("bpf-pins");
            assertThat(v.getHostPath().getPath()).isEqualTo("/sys/fs/bpf/swarmnet");
            assertThat(v.getHostPath().getType()).as("socket insists: made if missing").isEqualTo("DirectoryOrCreate");
        });
        assertThat(container(chart, false).getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/host/cgroup2"))
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/sys/fs/bpf/swarmnet"));
        // the resolver container writes the redirect of 127.0.0.11:53 without NAT there
        var dns = pod.getContainers().stream().filter(c -> c.getName().equals("dns")).findFirst().orElseThrow();
        assertThat(io.swarmnet.agent.dns.DnsSettings.fromEnvironment(processEnvironment(dns)).untrackedRedirect()).isTrue();
        assertThatThrownBy(() -> render("--set", "agent.vipBalancing=ipvs")).hasMessageContaining("vipBalancing");
        assertThatThrownBy(() -> render("--set", "agent.bpfPins=sys/fs/bpf")).hasMessageContaining("bpfPins");
        assertThatThrownBy(() -> render("--set", "agent.bpfFs=sys/fs/bpf")).hasMessageContaining("bpfFs");
    }

    @Test
    void theDataPathPortReachesTheAgentAndTheVxlanIdRangeTheOperator() {
        RenderedChart chart = render("--set", "network.dataPathPort=7789", "--set", "network.vxlanIdRange=20000-29999");
        assertThat(AgentEnvironment.parse(processEnvironment(container(chart, false))).vxlanPort()).isEqualTo(new VxlanPort(7789));
        assertThat(OperatorConfig.fromEnvironment(processEnvironment(container(chart, true))).vxlanIdRange())
                .isEqualTo(VniRange.parse("20000-29999"));
    }

    @Test
    void taskPodsWaitForTheirAttachmentWithTheChartsImageUnlessTurnedOff() {
        OperatorConfig config = OperatorConfig.fromEnvironment(processEnvironment(container(render(
                "--set", "image.tag=dev", "--set", "tasks.attachTimeout=45s"), true)));
        assertThat(config.attachWait().enabled()).isTrue();
        assertThat(config.attachWait().image()).isEqualTo("swarmnet/swarmnet:dev");
        assertThat(config.attachWait().pullPolicy()).isEqualTo("IfNotPresent");
        assertThat(config.attachWait().timeout()).isEqualTo(java.time.Duration.ofSeconds(45));
        assertThat(OperatorConfig.fromEnvironment(processEnvironment(container(render(), true))).attachWait().timeout())
                .isEqualTo(io.swarmnet.operator.service.AttachWait.DEFAULT_TIMEOUT);

        OperatorConfig off = OperatorConfig.fromEnvironment(processEnvironment(container(render(
                "--set", "tasks.waitForAttachment=false"), true)));
        assertThat(off.attachWait().enabled()).isFalse();
        assertThatThrownBy(() -> render("--set", "tasks.attachTimeout=soon")).hasMessageContaining("attachTimeout");
    }

    @Test
    void aDataPathPortOrVxlanIdRangeOutOfBoundsIsRefusedByTheChartNamingTheValue() {
        // Docker's --data-path-port bounds
        assertThatThrownBy(() -> render("--set", "network.dataPathPort=80")).hasMessageContaining("dataPathPort");
        assertThatThrownBy(() -> render("--set", "network.dataPathPort=49152")).hasMessageContaining("dataPathPort");
        assertThatThrownBy(() -> render("--set", "network.vxlanIdRange=5000-4000")).hasMessageContaining("network.vxlanIdRange \"5000-4000\"");
        assertThatThrownBy(() -> render("--set", "network.vxlanIdRange=1-16777216")).hasMessageContaining("16777215");
        assertThatThrownBy(() -> render("--set-string", "network.vxlanIdRange=4096")).hasMessageContaining("vxlanIdRange");
    }

    @Test
    void anEncryptionModeTheAgentDoesNotKnowIsRefusedByTheChart() {
        assertThatThrownBy(() -> render("--set", "agent.encryptionMode=ipsec")).hasMessageContaining("encryptionMode");
    }

    @Test
    void agentForwardsToTheConfiguredUpstreamResolver() {
        AgentEnvironment env = AgentEnvironment.parse(processEnvironment(container(render("--set", "dns.upstream=198.18.0.53:5353"), false)));
        assertThat(env.dnsUpstream()).contains(new java.net.InetSocketAddress("198.18.0.53", 5353));
    }
}
