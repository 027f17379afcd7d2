package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every setting of values.yaml reaches the objects and the processes' environment. */
class ChartValuesTest {

    private static Helm helm;
    private static RepositoryLayout repo;
    private static RenderedChart custom;

    @BeforeAll
    static void render() {
        helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        repo = RepositoryLayout.find();
        custom = RenderedChart.renderWithValues(helm, repo, NonDefaultValues.YAML);
    }

    private static PodSpec operatorPod(RenderedChart chart) {
        return chart.one(Deployment.class, "swarmnet-operator").getSpec().getTemplate().getSpec();
    }

    private static PodSpec agentPod(RenderedChart chart) {
        return chart.one(DaemonSet.class, "swarmnet-agent").getSpec().getTemplate().getSpec();
    }

    @Test
    void imageRepositoryTagPullPolicyAndPullSecretsReachBothComponents() {
        for (PodSpec pod : List.of(operatorPod(custom), agentPod(custom))) {
            Container c = pod.getContainers().get(0);
            assertThat(c.getImage()).isEqualTo("registry.example.test/team/swarmnet:1.2.3-test");
            assertThat(c.getImagePullPolicy()).isEqualTo("Always");
            assertThat(pod.getImagePullSecrets()).extracting(LocalObjectReference::getName).containsExactly("pull-secret");
        }
    }

    @Test
    void networkEncryptionAndLoggingSettingsReachTheOperatorsEnvironment() {
        Map<String, String> env = Containers.literalEnv(operatorPod(custom).getContainers().get(0));
        assertThat(env).containsEntry("SWARMNET_ADDRESS_POOLS", "172.20.0.0/14,192.168.128.0/17")
                .containsEntry("SWARMNET_POOL_SUBNET_SIZE", "26")
                .containsEntry("SWARMNET_EXCLUDED_CIDRS", "172.21.0.0/16")
                .containsEntry("SWARMNET_CLUSTER_DOMAIN", "corp.internal")
                .containsEntry("SWARMNET_KEY_ROTATION_INTERVAL", "30m")
                .containsEntry("SWARMNET_LOG_LEVEL", "DEBUG")
                .containsEntry("SWARMNET_WATCH_NAMESPACES", "team-a,team-b")
                .containsEntry("SWARMNET_HTTP_PORT", "8181");
        assertThat(custom.one(Deployment.class, "swarmnet-operator").getSpec().getReplicas()).isEqualTo(3);
        assertThat(operatorPod(custom).getContainers().get(0).getPorts().get(0).getContainerPort()).isEqualTo(8181);
    }

    @Test
    void dnsUpstreamAndLoggingReachTheAgentsEnvironment() {
        Container agent = agentPod(custom).getContainers().get(0);
        assertThat(Containers.literalEnv(agent)).containsEntry("SWARMNET_DNS_UPSTREAM", "198.18.0.53:5353")
                .containsEntry("SWARMNET_KEY_NAMESPACE", RenderedChart.NAMESPACE)
                .containsEntry("SWARMNET_LOG_LEVEL", "DEBUG")
                .containsEntry("SWARMNET_HTTP_PORT", "9700")
                .containsEntry("SWARMNET_ENCRYPTION_MODE", "userspace")
                .containsEntry("SWARMNET_STATE_DIR", "/srv/swarmnet-state");
        assertThat(agent.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(9700);
        assertThat(agent.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(9700);
        assertThat(agent.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/srv/swarmnet-state"));
        assertThat(agentPod(custom).getVolumes()).anyMatch(v -> v.getHostPath() != null && v.getHostPath().getPath().equals("/srv/swarmnet-state"));
    }

    @Test
    void resourcesNodeSelectorsAndTolerationsApplyPerComponent() {
        Container op = operatorPod(custom).getContainers().get(0);
        assertThat(op.getResources().getRequests()).containsEntry("cpu", new Quantity("250m")).containsEntry("memory", new Quantity("300Mi"));
        assertThat(op.getResources().getLimits()).containsEntry("memory", new Quantity("600Mi"));
        assertThat(operatorPod(custom).getNodeSelector()).containsOnly(Map.entry("node-role.kubernetes.io/control-plane", ""),
                Map.entry("kubernetes.io/os", "linux"));
        assertThat(operatorPod(custom).getTolerations()).singleElement()
                .satisfies(t -> assertThat(t.getKey()).isEqualTo("node-role.kubernetes.io/control-plane"));

        Container agent = agentPod(custom).getContainers().get(0);
        assertThat(agent.getResources().getLimits()).containsEntry("cpu", new Quantity("1")).containsEntry("memory", new Quantity("1Gi"));
        assertThat(agentPod(custom).getNodeSelector()).containsOnly(Map.entry("swarmnet.io/overlay", "true"),
                Map.entry("kubernetes.io/os", "linux"));
        assertThat(agentPod(custom).getTolerations()).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo("dedicated");
            assertThat(t.getEffect()).isEqualTo("NoExecute");
        });
    }

    @Test
    void serviceMonitorScrapesBothComponentsWhenEnabled() {
        List<GenericKubernetesResource> monitors = custom.ofKind("ServiceMonitor");
        assertThat(monitors).singleElement().satisfies(m -> {
            assertThat(m.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
            assertThat(m.getMetadata().getLabels()).containsEntry("release", "prometheus");
            Map<String, Object> spec = m.get("spec");
            assertThat(spec).extractingByKey("selector").asString().contains("swarmnet.io/metrics=true");
            assertThat(spec).extractingByKey("endpoints").asString().contains("port=http", "path=/metrics", "interval=15s");
        });
    }

    @Test
    void emptyExcludedRangesAreSpelledNoneSoTheOperatorDoesNotFallBackToItsDefaults() {
        RenderedChart chart = RenderedChart.render(helm, repo, "--set-json", "network.excludedCidrs=[]");
        assertThat(Containers.literalEnv(operatorPod(chart).getContainers().get(0))).containsEntry("SWARMNET_EXCLUDED_CIDRS", "none");
    }
}
