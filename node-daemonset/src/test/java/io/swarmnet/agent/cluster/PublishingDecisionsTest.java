package io.swarmnet.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.datapath.ApplyReport;
import io.swarmnet.agent.encryption.EncryptionDatapath;
import io.swarmnet.agent.desired.DesiredState;
import io.swarmnet.agent.encryption.EncryptionDatapath;
import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.agent.desired.NodeFacts;
import io.swarmnet.agent.desired.PodAttachment;
import io.swarmnet.agent.desired.PodDatapath;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.agent.desired.RemoteEndpoint;
import io.swarmnet.api.contract.NodeNetworkState;
import io.swarmnet.api.contract.NodeNetworkState.Encryption;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.net.MacAddress;
import io.swarmnet.api.net.Vni;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the agent writes back to the cluster, decided from the desired state and the datapath's report. */
class PublishingDecisionsTest {

    static final NodeFacts NODE = new NodeFacts("n1", IpAddress.parse("192.0.2.1"), 1500);
    static final NetworkKey NET = new NetworkKey("default", "net");
    static final NetworkKey SECRET = new NetworkKey("default", "secret");
    static final PodRef WEB_1 = new PodRef("default", "web-1", "u1");
    static final PodRef WEB_2 = new PodRef("default", "web-2", "u2");
    static final PodRef VAULT = new PodRef("default", "vault-1", "u3");
    static final EncryptionDatapath.Report NO_ENCRYPTION = new EncryptionDatapath.Report(Map.of(), Map.of());

    static NetworkDatapath network(NetworkKey key, int vni, boolean encrypted, String... peers) {
        return new NetworkDatapath(key, new Vni(vni), Cidr.parse("10.0.9.0/24"), IpAddress.parse("10.0.9.1"), 1450, encrypted,
                List.<RemoteEndpoint>of(), java.util.Arrays.stream(peers).map(IpAddress::parse).collect(java.util.stream.Collectors.toSet()));
    }

    static PodDatapath pod(PodRef ref, NetworkKey network, String address) {
        IpAddress ip = IpAddress.parse(address);
        return new PodDatapath(ref, List.of(new PodAttachment(network, "swn0", ip, 24, MacAddress.forTask(ip), 1450)), List.of());
    }

    final NodeDatapath desired = new NodeDatapath(NODE,
            List.of(network(NET, 4097, false, "192.0.2.2", "192.0.2.3"), network(SECRET, 4100, true, "192.0.2.2")),
            List.of(pod(WEB_1, NET, "10.0.9.3"), pod(WEB_2, NET, "10.0.9.4"), pod(VAULT, SECRET, "10.0.9.5")));

    @Test
    void attachedPodsGetTrueFailedPodsFalseAndUnreportedPodsKeepTheirs() {
        ApplyReport report = new ApplyReport(Set.of(WEB_1), Map.of(), Map.of(WEB_2, "pod default/web-2: address 10.0.9.4 already present"), 3);

        Map<PodRef, AttachedCondition> wanted = AttachedCondition.decide(new DesiredState(desired, List.of()), report, "n1");

        assertThat(wanted).containsOnlyKeys(WEB_1, WEB_2);
        assertThat(wanted.get(WEB_1).attached()).isTrue();
        assertThat(wanted.get(WEB_1).message()).isEqualTo("attached on node n1: swn0=net 10.0.9.3/24");
        assertThat(wanted.get(WEB_2)).isEqualTo(new AttachedCondition(false, "AttachFailed", "pod default/web-2: address 10.0.9.4 already present"));
    }

    @Test
    void aStartingPodsFailureIsNeitherAConditionNorAProblem() {
        String notYet = "pod default/web-2 (uid u2): network namespace not found; is the pod sandbox running? (the agent retries)";
        ApplyReport report = new ApplyReport(Set.of(WEB_1), Map.of(), Map.of(WEB_2, notYet, VAULT, "pod default/vault-1: refused"), 3);
        DesiredState starting = new DesiredState(desired, List.of(), Set.of(WEB_2));

        assertThat(AttachedCondition.decide(starting, report, "n1")).as("web-2 keeps what it has").containsOnlyKeys(WEB_1, VAULT);
        assertThat(ClusterPublisher.problems(starting, report, "n1")).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("pod default/vault-1: refused"));

        DesiredState started = new DesiredState(desired, List.of());
        assertThat(AttachedCondition.decide(started, report, "n1").get(WEB_2)).isEqualTo(new AttachedCondition(false, "AttachFailed", notYet));
        assertThat(ClusterPublisher.problems(started, report, "n1")).hasSize(2);
    }

    @Test
    void aPodWhoseResolverFailedIsNotAttachedAndSaysWhyWhileADatapathFailureKeepsItsOwnReason() {
        ApplyReport applied = new ApplyReport(Set.of(WEB_1, VAULT), Map.of(), Map.of(WEB_2, "pod default/web-2: address 10.0.9.4 already present"), 3);
        String noResolver = "DNS resolver for pod default/web-1: could not redirect 127.0.0.11:53 to its sockets: Operation not permitted";

        ApplyReport report = applied.withPodFailures(Map.of(WEB_1, noResolver, WEB_2, "DNS resolver for pod default/web-2: ..."));
        Map<PodRef, AttachedCondition> wanted = AttachedCondition.decide(new DesiredState(desired, List.of()), report, "n1");

        assertThat(report.attachedPods()).containsExactly(VAULT);
        assertThat(report.complete()).isFalse();
        assertThat(wanted.get(WEB_1)).isEqualTo(new AttachedCondition(false, "AttachFailed", noResolver));
        assertThat(wanted.get(WEB_2).message()).isEqualTo("pod default/web-2: address 10.0.9.4 already present");
        assertThat(wanted.get(VAULT).attached()).isTrue();
    }

    @Test
    void localPodsTheAgentSkippedGetFalseWithTheProblem() {
        Problem local = new Problem(ObjectRef.pod("default", "bad", "u9"), "InvalidAddresses", "pod default/bad: ...", "n1");
        Problem elsewhere = new Problem(ObjectRef.pod("default", "far", "u8"), "InvalidAddresses", "pod default/far: ...", "n2");
        Problem shared = Problem.clusterWide(ObjectRef.pod("default", "floating", "u7"), "InvalidAddresses", "...");

        Map<PodRef, AttachedCondition> wanted = AttachedCondition.decide(new DesiredState(desired, List.of(local, elsewhere, shared)),
                new ApplyReport(Set.of(), Map.of(), Map.of(), 0), "n1");

        assertThat(wanted).containsOnlyKeys(new PodRef("default", "bad", "u9"));
        assertThat(wanted.values()).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.reason()).isEqualTo("InvalidAddresses");
        });
    }

    @Test
    void nodeStateCountsAttachedTasksPeersAndEncryptionPerNetwork() {
        ApplyReport report = new ApplyReport(Set.of(WEB_1, WEB_2), Map.of(SECRET, "network default/secret: no ESP in this kernel"),
                Map.of(), 5);

        var states = NodeNetworkReport.of(desired, report, new EncryptionDatapath.Report(Map.of(), Map.of())).byNetwork();

        assertThat(states).containsOnlyKeys("default/net", "default/secret");
        assertThat(states.get("default/net")).isEqualTo(new NodeNetworkState(4097, 2, 2, Encryption.NotRequested, null));
        assertThat(states.get("default/secret")).isEqualTo(new NodeNetworkState(4100, 0, 1, Encryption.Failed,
                "network default/secret: no ESP in this kernel"));
    }

    @Test
    void encryptedNetworkIsEstablishedOnlyWhenTheEncryptionDatapathSaysSo() {
        ApplyReport applied = new ApplyReport(Set.of(VAULT), Map.of(), Map.of(), 0);
        var states = NodeNetworkReport.of(desired, applied,
                new EncryptionDatapath.Report(Map.of(SECRET, Encryption.Established), Map.of())).byNetwork();

        assertThat(states.get("default/secret").encryption()).isEqualTo(Encryption.Established);
        assertThat(states.get("default/secret").message()).isNull();
        var unencrypted = NodeNetworkReport.of(desired, applied, new EncryptionDatapath.Report(Map.of(), Map.of())).byNetwork();
        assertThat(unencrypted.get("default/secret").encryption()).isEqualTo(Encryption.Failed);
        assertThat(unencrypted.get("default/secret").message()).contains("encryption is not enabled");
        var failed = NodeNetworkReport.of(desired, applied, new EncryptionDatapath.Report(Map.of(SECRET, Encryption.Failed),
                Map.of(SECRET, "the kernel cannot hold IPsec ESP states"))).byNetwork();
        assertThat(failed.get("default/secret").message()).contains("cannot hold IPsec ESP states");
        assertThat(states.get("default/secret").localTasks()).isEqualTo(1);
        assertThat(states.get("default/net").localTasks()).isZero();
    }

    @Test
    void theModeIsReportedForEncryptedNetworksOnly() {
        ApplyReport applied = new ApplyReport(Set.of(VAULT), Map.of(), Map.of(), 0);
        var states = NodeNetworkReport.of(desired, applied, new EncryptionDatapath.Report(Map.of(SECRET, Encryption.Established), Map.of(),
                NodeNetworkState.EncryptionMode.Userspace)).byNetwork();

        assertThat(states.get("default/secret").encryptionMode()).isEqualTo(NodeNetworkState.EncryptionMode.Userspace);
        assertThat(states.get("default/net").encryptionMode()).as("a plain network has no mode").isNull();
        assertThat(NodeNetworkReport.of(desired, applied, new EncryptionDatapath.Report(Map.of(SECRET, Encryption.Established), Map.of(),
                NodeNetworkState.EncryptionMode.Kernel)).byNetwork().get("default/secret").encryptionMode())
                .isEqualTo(NodeNetworkState.EncryptionMode.Kernel);
    }

    @Test
    void encryptedNetworkWithoutEncryptionOnThisAgentIsFailedNeverEstablished() {
        var states = NodeNetworkReport.of(desired, new ApplyReport(Set.of(VAULT), Map.of(), Map.of(), 0), NO_ENCRYPTION).byNetwork();

        assertThat(states.get("default/secret").encryption()).isEqualTo(Encryption.Failed);
        assertThat(states.get("default/secret").message()).contains("not enabled");
        assertThat(states.get("default/net").message()).isNull();
    }

    @Test
    void eventNamesAreStablePerProblemAndValidObjectNames() {
        Problem problem = new Problem(ObjectRef.pod("default", "Web_1", "u"), "AttachFailed", "no namespace", "n1");
        String name = ClusterPublisher.eventName(problem);

        assertThat(name).isEqualTo(ClusterPublisher.eventName(problem));
        assertThat(name).matches("[a-z0-9.-]+").startsWith("web-1.");
        assertThat(ClusterPublisher.eventName(new Problem(problem.subject(), "AttachFailed", "other message", "n1"))).isNotEqualTo(name);
        assertThat(ClusterPublisher.eventName(new Problem(problem.subject(), "AttachFailed", "no namespace", "n2")))
                .as("each node reports its own datapath failures").isNotEqualTo(name);
    }
}
