package io.swarmnet.operator.attach;

import static io.swarmnet.operator.service.ServiceFixture.addressOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.swarmnet.api.contract.SwarmnetKeys;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.NamespaceSelector;
import io.swarmnet.api.network.NetworkSharing;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.ipam.AddressOwner;
import io.swarmnet.operator.service.ServiceFixture;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pods of other controllers joining attachable networks, inside the whole operator, against the embedded API server. */
class AttachablePodsTest {

    private static ServiceFixture cluster;
    private static int tests;
    private String ns;

    @BeforeAll
    static void startCluster() {
        cluster = new ServiceFixture("attach");
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void namespace() {
        ns = "attach-" + ++tests;
        cluster.useNamespace(ns);
    }

    /**
     * A pod as a ReplicaSet (a Deployment's) or a StatefulSet would create it, owned by a real one (the embedded API collects
     * pods whose owner does not exist), or as a Job would: the embedded API has no Job kind, so a Job's pod here carries a
     * Job's labels and restart policy but no owner. With the user's annotation and the readiness gate.
     */
    private Pod pod(String name, String ownerKind, String annotation) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().addNewReadinessGate(SwarmnetKeys.CONDITION_ATTACHED).withDnsPolicy("None")
                .withNewDnsConfig().withNameservers("127.0.0.11").withSearches(ns + ".svc.cluster.local").endDnsConfig()
                .addNewContainer().withName("main").withImage("busybox:1.36").endContainer().endSpec();
        String owner = name.substring(0, name.lastIndexOf('-'));
        if (ownerKind.equals("Job")) {
            pod.editMetadata().addToLabels("batch.kubernetes.io/job-name", owner).addToLabels("job-name", owner).endMetadata()
                    .editSpec().withRestartPolicy("Never").endSpec();
        } else {
            pod.editMetadata().addNewOwnerReference().withApiVersion("apps/v1").withKind(ownerKind).withName(owner)
                    .withUid(owner(ownerKind, owner)).withController(true).endOwnerReference().endMetadata();
        }
        if (annotation != null) {
            pod.editMetadata().addToAnnotations(SwarmnetKeys.ANNOTATION_POD_NETWORKS, annotation).endMetadata();
        }
        return cluster.client.resource(pod.build()).create();
    }

    private String owner(String kind, String name) {
        var selector = new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("app", name).build();
        var template = new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder().withNewMetadata().addToLabels("app", name)
                .endMetadata().withNewSpec().addNewContainer().withName("main").withImage("busybox:1.36").endContainer().endSpec().build();
        if (kind.equals("ReplicaSet")) {
            return cluster.client.apps().replicaSets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder()
                    .withNewMetadata().withName(name).endMetadata().withNewSpec().withReplicas(1).withSelector(selector)
                    .withTemplate(template).endSpec().build()).create().getMetadata().getUid();
        }
        return cluster.client.apps().statefulSets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder()
                .withNewMetadata().withName(name).endMetadata().withNewSpec().withReplicas(1).withServiceName(name).withSelector(selector)
                .withTemplate(template).endSpec().build()).create().getMetadata().getUid();
    }

    private Pod podNamed(String name) {
        return cluster.client.pods().inNamespace(ns).withName(name).get();
    }

    private boolean attached(String name) {
        Pod pod = podNamed(name);
        return pod != null && pod.getMetadata().getLabels() != null
                && SwarmnetKeys.ATTACHED_POD.equals(pod.getMetadata().getLabels().get(SwarmnetKeys.LABEL_ATTACHED_POD))
                && pod.getMetadata().getAnnotations().containsKey(SwarmnetKeys.ANNOTATION_ADDRESSES);
    }

    private OverlayNetwork attachableNetwork(String name, String subnet) {
        return cluster.network(name, subnet, true, spec -> spec.setAttachable(true));
    }

    private List<Event> eventsOf(String pod) {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null && pod.equals(e.getInvolvedObject().getName())
                        && "Pod".equals(e.getInvolvedObject().getKind()))
                .toList();
    }

    private Optional<Event> event(String pod, String reason) {
        return eventsOf(pod).stream().filter(e -> reason.equals(e.getReason())).reduce((a, b) -> b);
    }

    private Optional<PodCondition> attachedCondition(String pod) {
        Pod p = podNamed(pod);
        return p == null || p.getStatus() == null || p.getStatus().getConditions() == null ? Optional.empty()
                : p.getStatus().getConditions().stream().filter(c -> SwarmnetKeys.CONDITION_ATTACHED.equals(c.getType())).findFirst();
    }

    private Map<IpAddress, AddressOwner> holdings(String network) {
        return cluster.operator.ledger().holdings(ns, network);
    }

    @Test
    void deploymentAndJobPodsGetAddressesOnTheNetworkApartFromItsTasksAndVirtualIp() {
        attachableNetwork("my-network", "10.9.20.0/24");
        cluster.service("my-web", 2, List.of("my-network"), spec -> { });
        cluster.eventually("the service has 2 tasks and a virtual IP", () -> cluster.pods("my-web").size() == 2
                && cluster.get("my-web").getStatus().getVirtualIPs().size() == 1);

        pod("client-7d9f8-x2k4q", "ReplicaSet", "my-network");
        pod("migrate-db-5hq7w", "Job", "[{\"name\":\"my-network\",\"aliases\":[\"migrator\",\"jobs.db\"]}]");
        cluster.eventually("both pods are given addresses", () -> attached("client-7d9f8-x2k4q") && attached("migrate-db-5hq7w"));

        Pod web = podNamed("client-7d9f8-x2k4q");
        Pod job = podNamed("migrate-db-5hq7w");
        Cidr subnet = Cidr.parse("10.9.20.0/24");
        Set<IpAddress> taken = new HashSet<>();
        cluster.pods("my-web").forEach(t -> taken.add(addressOf(t, "my-network")));
        taken.add(IpAddress.parse(cluster.get("my-web").getStatus().getVirtualIPs().get(0).getAddress()));
        taken.add(cluster.gatewayOf("my-network"));
        for (Pod pod : List.of(web, job)) {
            IpAddress address = addressOf(pod, "my-network");
            assertThat(subnet.contains(address)).as("%s inside %s", address, subnet).isTrue();
            assertThat(taken).as("addresses of the tasks, the VIP, the gateway and the other pod").doesNotContain(address);
            taken.add(address);
            assertThat(holdings("my-network")).containsEntry(address, AddressOwner.attachedPod(pod.getMetadata().getName()));
        }
        assertThat(web.getMetadata().getAnnotations()).containsEntry(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS, "[{\"name\":\"my-network\"}]");
        assertThat(job.getMetadata().getAnnotations()).containsEntry(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS,
                "[{\"name\":\"my-network\",\"aliases\":[\"migrator\",\"jobs.db\"]}]");
        assertThat(event("migrate-db-5hq7w", AttachablePods.REASON_ATTACHED)).get()
                .satisfies(e -> assertThat(e.getMessage()).contains("migrate-db-5hq7w", "my-network", "migrator"));
        assertThat(event("client-7d9f8-x2k4q", AttachablePods.REASON_NO_READINESS_GATE)).isEmpty();
        assertThat(event("client-7d9f8-x2k4q", AttachablePods.REASON_NO_EMBEDDED_DNS)).isEmpty();
    }

    @Test
    void theTasksOfServicesAreLeftToTheirServicesAndNotCachedASecondTime() {
        attachableNetwork("my-network", "10.9.28.0/24");
        cluster.service("my-web", 3, List.of("my-network"), spec -> { });
        pod("client-7d9f8-x2k4q", "ReplicaSet", "my-network");
        pod("plain-5c8d7-p4m2n", "ReplicaSet", null);
        cluster.eventually("the service has 3 tasks and the client pod is attached", () -> cluster.pods("my-web").size() == 3
                && attached("client-7d9f8-x2k4q"));

        Set<String> watched = cluster.operator.attachablePods().watchedPods();
        assertThat(watched).contains(ns + "/client-7d9f8-x2k4q", ns + "/plain-5c8d7-p4m2n");
        assertThat(cluster.pods("my-web")).hasSize(3).allSatisfy(task ->
                assertThat(watched).doesNotContain(ns + "/" + task.getMetadata().getName()));
    }

    @Test
    void anAddressIsReleasedWhenItsPodIsGoneAndKeptAcrossAnOperatorRestart() {
        attachableNetwork("jobs", "10.9.21.0/24");
        pod("batch-5hq7w", "Job", "jobs");
        pod("batch-9kz2p", "Job", "jobs");
        cluster.eventually("both pods are attached", () -> attached("batch-5hq7w") && attached("batch-9kz2p"));
        IpAddress first = addressOf(podNamed("batch-5hq7w"), "jobs");
        IpAddress second = addressOf(podNamed("batch-9kz2p"), "jobs");

        cluster.restartOperator();
        assertThat(holdings("jobs")).containsEntry(first, AddressOwner.attachedPod("batch-5hq7w"))
                .containsEntry(second, AddressOwner.attachedPod("batch-9kz2p"));

        cluster.client.pods().inNamespace(ns).withName("batch-5hq7w").delete();
        cluster.eventually("the deleted pod's address is released", () -> !holdings("jobs").containsKey(first));
        assertThat(holdings("jobs")).containsEntry(second, AddressOwner.attachedPod("batch-9kz2p"));
        assertThat(addressOf(podNamed("batch-9kz2p"), "jobs")).isEqualTo(second);
    }

    @Test
    void aPodAskingForANetworkThatIsNotAttachableIsToldWhyAndAttachedOnceItIs() {
        cluster.network("backend", "10.9.22.0/24", true);
        pod("api-6b7c9-q8w2e", "ReplicaSet", "backend");

        cluster.eventually("an event says why", () -> event("api-6b7c9-q8w2e", PodAttachment.REASON_NOT_ATTACHABLE).isPresent());
        assertThat(event("api-6b7c9-q8w2e", PodAttachment.REASON_NOT_ATTACHABLE).get().getMessage()).isEqualTo(
                "pod " + ns + "/api-6b7c9-q8w2e: annotation swarmnet.io/networks names OverlayNetwork backend, which is not attachable "
                        + "(only SwarmService tasks join it); set its spec.attachable: true or name another network. The pod is not "
                        + "attached until then");
        cluster.eventually("its attached condition carries the reason", () -> attachedCondition("api-6b7c9-q8w2e")
                .map(c -> "False".equals(c.getStatus()) && PodAttachment.REASON_NOT_ATTACHABLE.equals(c.getReason())).orElse(false));
        assertThat(attached("api-6b7c9-q8w2e")).isFalse();
        assertThat(holdings("backend")).isEmpty();

        cluster.client.resources(OverlayNetwork.class).inNamespace(ns).withName("backend").edit(n -> {
            n.getSpec().setAttachable(true);
            return n;
        });
        cluster.eventually("the pod is given an address once the network is attachable", () -> attached("api-6b7c9-q8w2e"));
        assertThat(Cidr.parse("10.9.22.0/24").contains(addressOf(podNamed("api-6b7c9-q8w2e"), "backend"))).isTrue();
    }

    @Test
    void aPodAskingForAMissingNetworkIsToldWhichAndNothingIsAllocated() {
        attachableNetwork("present", "10.9.23.0/24");
        pod("worker-1a2b3-zzzzz", "ReplicaSet", "present, absent");
        cluster.eventually("an event names the missing network", () -> event("worker-1a2b3-zzzzz", PodAttachment.REASON_NOT_FOUND)
                .map(e -> e.getMessage().contains("names absent but no OverlayNetwork of that name exists in namespace " + ns))
                .orElse(false));
        cluster.eventually("its attached condition carries the reason", () -> attachedCondition("worker-1a2b3-zzzzz")
                .map(c -> PodAttachment.REASON_NOT_FOUND.equals(c.getReason())).orElse(false));
        assertThat(attached("worker-1a2b3-zzzzz")).isFalse();
        assertThat(holdings("present")).isEmpty();
    }

    @Test
    void aMistakeInTheAnnotationOfAnAttachedPodIsReportedAndDisturbsNothing() {
        attachableNetwork("shared", "10.9.24.0/24");
        pod("cache-0", "StatefulSet", "[{\"name\":\"shared\",\"aliases\":[\"cache\"]}]");
        cluster.eventually("the pod is attached", () -> attached("cache-0"));
        Pod before = podNamed("cache-0");
        IpAddress address = addressOf(before, "shared");

        cluster.client.pods().inNamespace(ns).withName("cache-0").edit(p -> {
            p.getMetadata().getAnnotations().put(SwarmnetKeys.ANNOTATION_POD_NETWORKS,
                    "[{\"name\":\"shared\",\"aliases\":[\"cache\",\"cache\"]}]");
            return p;
        });
        cluster.eventually("an event names the pod, the annotation and the fix", () -> event("cache-0", PodAttachment.REASON_INVALID)
                .map(e -> e.getMessage().equals("pod " + ns + "/cache-0: annotation swarmnet.io/networks[0].aliases lists 'cache' twice; "
                        + "list each alias once (it stays attached to shared as before)")).orElse(false));
        Pod after = podNamed("cache-0");
        assertThat(addressOf(after, "shared")).isEqualTo(address);
        assertThat(after.getMetadata().getAnnotations()).containsEntry(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS,
                "[{\"name\":\"shared\",\"aliases\":[\"cache\"]}]");
        assertThat(attachedCondition("cache-0")).isEmpty();
        assertThat(holdings("shared")).containsEntry(address, AddressOwner.attachedPod("cache-0"));

        cluster.client.pods().inNamespace(ns).withName("cache-0").edit(p -> {
            p.getMetadata().getAnnotations().put(SwarmnetKeys.ANNOTATION_POD_NETWORKS, "other/shared");
            return p;
        });
        // a network of a namespace that does not exist: refused, the pod keeps what it has
        cluster.eventually("another namespace's missing network is refused", () -> event("cache-0", PodAttachment.REASON_NOT_FOUND)
                .map(e -> e.getMessage().contains("names OverlayNetwork other/shared (namespace other does not exist), which does "
                        + "not exist") && e.getMessage().endsWith("(it stays attached to shared as before)")).orElse(false));
        assertThat(addressOf(podNamed("cache-0"), "shared")).isEqualTo(address);
    }

    private void label(String namespace, String key, String value) {
        cluster.labelNamespace(namespace, key, value);
    }

    /** An attachable network of the current namespace, shared with the namespaces labelled team=edge; then works in a new one. */
    private String sharedNetworkAndGuestNamespace(String name, String subnet, boolean attachable) {
        String owner = ns;
        cluster.network(name, subnet, true, spec -> {
            spec.setAttachable(attachable);
            spec.setShareWith(new NetworkSharing(new NamespaceSelector(Map.of("team", "edge"), null)));
        });
        ns = owner + "-guest";
        cluster.useNamespace(ns);
        return owner;
    }

    @Test
    void aPodOfAnotherNamespaceJoinsANetworkSharedWithItAndKeepsItWhenItsNamespaceStopsMatching() {
        String owner = sharedNetworkAndGuestNamespace("proxy", "10.9.30.0/24", true);
        String proxy = owner + "/proxy";
        label(ns, "team", "edge");
        pod("client-7d9f8-x2k4q", "ReplicaSet", proxy);
        pod("db-0", "StatefulSet", "[{\"name\":\"proxy\",\"namespace\":\"" + owner + "\",\"aliases\":[\"db\"]}]");
        cluster.eventually("both pods are attached", () -> attached("client-7d9f8-x2k4q") && attached("db-0"));
        IpAddress client = addressOf(podNamed("client-7d9f8-x2k4q"), proxy);
        IpAddress db = addressOf(podNamed("db-0"), proxy);
        assertThat(client).isNotNull().isNotEqualTo(db);
        assertThat(Cidr.parse("10.9.30.0/24").contains(db)).isTrue();
        assertThat(podNamed("db-0").getMetadata().getAnnotations()).containsEntry(SwarmnetKeys.ANNOTATION_ATTACHED_NETWORKS,
                "[{\"name\":\"proxy\",\"namespace\":\"" + owner + "\",\"aliases\":[\"db\"]}]");
        assertThat(holdings(proxy)).containsEntry(db, AddressOwner.attachedPod("db-0"))
                .containsEntry(client, AddressOwner.attachedPod("client-7d9f8-x2k4q"));
        assertThat(cluster.operator.ledger().holders(owner, "proxy").get(db)).hasToString(ns + "/pod:db-0");

        // the namespace's label goes: attached pods keep their addresses, a new pod is refused
        label(ns, "team", null);
        cluster.eventually("the attached pod is told it keeps its network", () -> event("db-0", PodAttachment.REASON_NOT_SHARED)
                .map(e -> e.getMessage().contains("spec.shareWith.namespaceSelector of OverlayNetwork " + proxy + " (team=edge) does "
                        + "not select namespace " + ns) && e.getMessage().endsWith("(it stays attached to " + proxy + " as before)"))
                .orElse(false));
        assertThat(addressOf(podNamed("db-0"), proxy)).isEqualTo(db);
        assertThat(holdings(proxy)).containsEntry(db, AddressOwner.attachedPod("db-0"));

        pod("late-0", "StatefulSet", proxy);
        cluster.eventually("the new pod is not attached, saying why", () -> attachedCondition("late-0")
                .filter(c -> "False".equals(c.getStatus()) && PodAttachment.REASON_NOT_SHARED.equals(c.getReason())
                        && c.getMessage().contains("annotation swarmnet.io/networks: spec.shareWith.namespaceSelector")
                        && c.getMessage().contains("kubectl label namespace " + ns + " team=edge")).isPresent());
        assertThat(event("late-0", PodAttachment.REASON_NOT_SHARED)).isPresent();
        assertThat(attached("late-0")).isFalse();

        label(ns, "team", "edge");
        cluster.eventually("the new pod is attached once the namespace is labelled again", () -> attached("late-0"));
        assertThat(addressOf(podNamed("late-0"), proxy)).isNotIn(client, db);
    }

    @Test
    void aNetworkSharedWithAnotherNamespaceMustStillBeAttachableForItsPods() {
        String owner = sharedNetworkAndGuestNamespace("tasks-only", "10.9.31.0/24", false);
        label(ns, "team", "edge");
        pod("client-0", "StatefulSet", owner + "/tasks-only");
        cluster.eventually("the pod is refused as not attachable", () -> event("client-0", PodAttachment.REASON_NOT_ATTACHABLE)
                .map(e -> e.getMessage().contains("names OverlayNetwork " + owner + "/tasks-only, which is not attachable")).orElse(false));
        assertThat(attached("client-0")).isFalse();
    }

    @Test
    void aPodWithoutTheReadinessGateOrTheEmbeddedResolverIsAttachedAndWarnedAboutBoth() {
        attachableNetwork("loose", "10.9.25.0/24");
        Pod pod = new PodBuilder().withNewMetadata().withNamespace(ns).withName("bare")
                .addToAnnotations(SwarmnetKeys.ANNOTATION_POD_NETWORKS, "loose").endMetadata()
                .withNewSpec().addNewContainer().withName("main").withImage("busybox:1.36").endContainer().endSpec().build();
        cluster.client.resource(pod).create();
        cluster.eventually("the pod is attached", () -> attached("bare"));
        cluster.eventually("a warning says to add the gate", () -> event("bare", AttachablePods.REASON_NO_READINESS_GATE)
                .map(e -> e.getMessage().contains("readinessGates: [{conditionType: swarmnet.io/attached}]")).orElse(false));
        cluster.eventually("a warning says to use the embedded resolver", () -> event("bare", AttachablePods.REASON_NO_EMBEDDED_DNS)
                .map(e -> e.getMessage().contains("dnsPolicy: None and dnsConfig.nameservers: [127.0.0.11]")).orElse(false));
    }

    @Test
    void removingANetworkFromTheAnnotationReleasesItsAddressAndKeepsTheOthers() {
        attachableNetwork("front", "10.9.26.0/24");
        attachableNetwork("back", "10.9.27.0/24");
        pod("proxy-0", "StatefulSet", "front,back");
        cluster.eventually("the pod is attached to both", () -> attached("proxy-0")
                && podNamed("proxy-0").getMetadata().getAnnotations().get(SwarmnetKeys.ANNOTATION_ADDRESSES).contains("back"));
        IpAddress front = addressOf(podNamed("proxy-0"), "front");
        IpAddress back = addressOf(podNamed("proxy-0"), "back");

        cluster.client.pods().inNamespace(ns).withName("proxy-0").edit(p -> {
            p.getMetadata().getAnnotations().put(SwarmnetKeys.ANNOTATION_POD_NETWORKS, "front");
            return p;
        });
        cluster.eventually("its address on back is released", () -> !holdings("back").containsKey(back)
                && addressOf(podNamed("proxy-0"), "back") == null);
        assertThat(addressOf(podNamed("proxy-0"), "front")).isEqualTo(front);
        assertThat(holdings("front")).containsEntry(front, AddressOwner.attachedPod("proxy-0"));
    }
}
