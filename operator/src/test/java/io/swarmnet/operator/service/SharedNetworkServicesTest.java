package io.swarmnet.operator.service;

import static io.swarmnet.operator.service.ServiceFixture.addressOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.swarmnet.api.net.Cidr;
import io.swarmnet.api.net.IpAddress;
import io.swarmnet.api.network.NamespaceSelector;
import io.swarmnet.api.network.NetworkSharing;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.api.service.NetworkAttachment;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.VirtualIP;
import io.swarmnet.operator.ipam.AddressLedger;
import io.swarmnet.operator.ipam.AddressOwner;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SwarmServices of several namespaces on one OverlayNetwork its owner shares (spec.shareWith), inside the whole operator
 * against the embedded API server: addresses from the network's one ledger, the sharing decided by namespace labels, and
 * every way of getting it wrong reported on the service, naming the field.
 */
class SharedNetworkServicesTest {

    private static final String PROXY_LABEL = "swarmnet.io/proxy";

    private static ServiceFixture cluster;
    private static int tests;

    private String infra;
    private String shop;
    private final List<FakeKubelet> kubelets = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = new ServiceFixture("shared-setup");
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void namespaces() {
        tests++;
        shop = "shop-" + tests;
        cluster.useNamespace(shop);
        infra = "infra-" + tests;
        cluster.useNamespace(infra);
    }

    @AfterEach
    void stop() {
        kubelets.forEach(FakeKubelet::close);
    }

    private FakeKubelet kubelet(String namespace) {
        FakeKubelet kubelet = new FakeKubelet(cluster.client, namespace);
        kubelets.add(kubelet);
        return kubelet;
    }

    /** The proxy network in infra, shared with the namespaces labelled swarmnet.io/proxy=true. */
    private OverlayNetwork proxy(String subnet) {
        cluster.namespace = infra;
        return cluster.network("proxy", subnet, true, spec -> spec.setShareWith(sharedWith(Map.of(PROXY_LABEL, "true"))));
    }

    private static NetworkSharing sharedWith(Map<String, String> labels) {
        return new NetworkSharing(new NamespaceSelector(labels, null));
    }

    private void label(String namespace, String key, String value) {
        cluster.labelNamespace(namespace, key, value);
    }

    /** A service in {@code namespace} on the networks given as entries (name, or namespace and name). */
    private SwarmService service(String namespace, String name, int replicas, List<NetworkAttachment> networks) {
        return service(namespace, name, replicas, networks, spec -> { });
    }

    private SwarmService service(String namespace, String name, int replicas, List<NetworkAttachment> networks,
                                 Consumer<io.swarmnet.api.service.SwarmServiceSpec> customize) {
        cluster.namespace = namespace;
        return cluster.service(name, replicas, List.of("placeholder"), spec -> {
            spec.setNetworks(new ArrayList<>(networks));
            customize.accept(spec);
        });
    }

    private List<Pod> pods(String namespace, String service) {
        cluster.namespace = namespace;
        return cluster.pods(service);
    }

    private SwarmService get(String namespace, String service) {
        cluster.namespace = namespace;
        return cluster.get(service);
    }

    private boolean hasCondition(String namespace, String service, String type, String status, String reason) {
        cluster.namespace = namespace;
        return cluster.hasCondition(service, type, status, reason);
    }

    private String readyMessage(String namespace, String service) {
        cluster.namespace = namespace;
        return cluster.condition(service, "Ready").getMessage();
    }

    private boolean warned(String namespace, String service, String reason, String... fragments) {
        return cluster.client.v1().events().inNamespace(namespace).list().getItems().stream()
                .anyMatch(e -> reason.equals(e.getReason()) && "Warning".equals(e.getType())
                        && service.equals(e.getInvolvedObject().getName())
                        && List.of(fragments).stream().allMatch(f -> e.getMessage().contains(f)));
    }

    @Test
    void servicesOfTwoNamespacesTakeAddressesFromTheSharedNetworksOneRange() {
        proxy("10.71.0.0/27");
        label(shop, PROXY_LABEL, "true");
        service(infra, "traefik", 3, List.of(new NetworkAttachment("proxy")));
        service(shop, "web", 3, List.of(new NetworkAttachment(infra, "proxy")));
        kubelet(infra).startAutomatically();
        kubelet(shop).startAutomatically();

        cluster.eventually("both services are Ready", () -> hasCondition(infra, "traefik", "Ready", "True", "AllTasksReady")
                && hasCondition(shop, "web", "Ready", "True", "AllTasksReady"));
        Cidr subnet = Cidr.parse("10.71.0.0/27");
        Set<IpAddress> everything = new HashSet<>();
        for (Pod pod : pods(infra, "traefik")) {
            everything.add(addressOf(pod, "proxy"));
        }
        for (Pod pod : pods(shop, "web")) {
            // the shop's tasks record the network with its namespace, the infra's by its name, as each namespace names it
            assertThat(addressOf(pod, "proxy")).isNull();
            everything.add(addressOf(pod, infra + "/proxy"));
        }
        SwarmService web = get(shop, "web");
        assertThat(web.getStatus().getNetworkNames()).isEqualTo(infra + "/proxy");
        assertThat(web.getStatus().getVirtualIPs()).extracting(VirtualIP::getNetwork).containsExactly(infra + "/proxy");
        assertThat(web.getStatus().getTasks()).allSatisfy(t -> assertThat(t.getAddresses()).singleElement()
                .satisfies(a -> assertThat(a.getNetwork()).isEqualTo(infra + "/proxy")));
        everything.add(IpAddress.parse(web.getStatus().getVirtualIPs().get(0).getAddress()));
        everything.add(IpAddress.parse(get(infra, "traefik").getStatus().getVirtualIPs().get(0).getAddress()));
        cluster.namespace = infra;
        everything.add(cluster.gatewayOf("proxy"));
        assertThat(everything).as("6 tasks, 2 VIPs and the gateway, none twice").hasSize(9)
                .allSatisfy(a -> assertThat(subnet.contains(a)).isTrue());
        AddressLedger ledger = cluster.operator.ledger();
        assertThat(ledger.inUse(infra, "proxy")).isEqualTo(8);
        assertThat(ledger.holdings(shop, infra + "/proxy").values()).hasSize(4).contains(AddressOwner.virtualIps("web"));

        // the network's owner sees who attaches from where
        cluster.eventually("the network lists both services", () -> network().getStatus().getAttachedServices()
                .equals(List.of(shop + "/web", "traefik")));
        cluster.eventually("the network is Shared", () -> sharedCondition() != null && "True".equals(sharedCondition().getStatus()));
        assertThat(sharedCondition().getReason()).isEqualTo("NamespacesSelected");
        // earlier tests' namespaces carry the label too: the list holds them all
        assertThat(sharedCondition().getMessage()).contains("spec.shareWith.namespaceSelector (" + PROXY_LABEL + "=true) selects "
                + "namespaces ", "attached from other namespaces: SwarmService " + shop + "/web")
                .containsPattern("selects namespaces [^;]*\\b" + java.util.regex.Pattern.quote(shop) + "[,;]");
    }

    private OverlayNetwork network() {
        return cluster.client.resources(OverlayNetwork.class).inNamespace(infra).withName("proxy").get();
    }

    private io.fabric8.kubernetes.api.model.Condition sharedCondition() {
        OverlayNetwork network = network();
        return network == null || network.getStatus() == null ? null
                : io.swarmnet.operator.Conditions.find(network.getStatus().getConditions(), "Shared");
    }

    @Test
    void aServiceNamingTheSameServiceNameInTwoNamespacesGetsTwoVirtualIps() {
        proxy(null);
        label(shop, PROXY_LABEL, "true");
        service(infra, "web", 1, List.of(new NetworkAttachment("proxy")));
        service(shop, "web", 1, List.of(new NetworkAttachment(infra, "proxy")));
        cluster.eventually("both have a VIP", () -> !get(infra, "web").getStatus().getVirtualIPs().isEmpty()
                && !get(shop, "web").getStatus().getVirtualIPs().isEmpty());
        assertThat(get(infra, "web").getStatus().getVirtualIPs().get(0).getAddress())
                .isNotEqualTo(get(shop, "web").getStatus().getVirtualIPs().get(0).getAddress());
    }

    @Test
    void aNamespaceTheSelectorDoesNotSelectGetsNoTaskUntilItIsLabelled() {
        proxy(null);
        service(shop, "web", 2, List.of(new NetworkAttachment(infra, "proxy")));

        cluster.eventually("Ready is False with NetworkNotShared", () -> hasCondition(shop, "web", "Ready", "False", "NetworkNotShared"));
        assertThat(readyMessage(shop, "web")).contains("spec.networks[0]", "spec.shareWith.namespaceSelector of OverlayNetwork "
                + infra + "/proxy (" + PROXY_LABEL + "=true) does not select namespace " + shop,
                "kubectl label namespace " + shop + " " + PROXY_LABEL + "=true", "running tasks keep their addresses");
        assertThat(hasCondition(shop, "web", "Degraded", "True", "NetworkNotShared")).isTrue();
        cluster.eventually("a NetworkNotShared warning names the field", () -> warned(shop, "web", "NetworkNotShared",
                "spec.networks[0]", infra + "/proxy"));
        assertThat(pods(shop, "web")).isEmpty();

        // the administrator's half of the consent: the namespace's label wakes the service
        label(shop, PROXY_LABEL, "true");
        cluster.eventually("the tasks are created", () -> pods(shop, "web").size() == 2);
        assertThat(pods(shop, "web")).allSatisfy(p -> assertThat(addressOf(p, infra + "/proxy")).isNotNull());
    }

    @Test
    void aNetworkWithoutShareWithIsForItsOwnNamespaceOnly() {
        cluster.namespace = infra;
        cluster.network("private", null, true);
        service(shop, "web", 1, List.of(new NetworkAttachment(infra, "private")));

        cluster.eventually("Ready is False with NetworkNotShared", () -> hasCondition(shop, "web", "Ready", "False", "NetworkNotShared"));
        assertThat(readyMessage(shop, "web")).contains("spec.networks[0]: OverlayNetwork " + infra + "/private is not shared with "
                + "other namespaces (its spec.shareWith is not set)");
        assertThat(pods(shop, "web")).isEmpty();

        // its owner shares it with every namespace: {} selects all
        cluster.namespace = infra;
        cluster.client.resources(OverlayNetwork.class).inNamespace(infra).withName("private").edit(n -> {
            n.getSpec().setShareWith(new NetworkSharing(new NamespaceSelector()));
            return n;
        });
        cluster.eventually("the task is created", () -> pods(shop, "web").size() == 1);
    }

    @Test
    void aMissingNamespaceOrNetworkIsNamedWithTheFieldAndANetworkThatAppearsIsUsed() {
        service(shop, "web", 1, List.of(new NetworkAttachment("nowhere", "proxy")));
        cluster.eventually("Ready is False with NetworkNotFound", () -> hasCondition(shop, "web", "Ready", "False", "NetworkNotFound"));
        assertThat(readyMessage(shop, "web")).contains("spec.networks[0] names OverlayNetwork nowhere/proxy, but namespace nowhere "
                + "does not exist");
        cluster.eventually("a NetworkNotFound warning", () -> warned(shop, "web", "NetworkNotFound", "nowhere/proxy"));

        service(shop, "api", 1, List.of(new NetworkAttachment(infra, "proxy")));
        cluster.eventually("api: NetworkNotFound", () -> hasCondition(shop, "api", "Ready", "False", "NetworkNotFound"));
        assertThat(readyMessage(shop, "api")).contains("spec.networks[0] names OverlayNetwork " + infra + "/proxy, which does not exist");

        label(shop, PROXY_LABEL, "true");
        proxy(null);
        cluster.eventually("api gets its task once the network is there", () -> pods(shop, "api").size() == 1);
    }

    @Test
    void theOwnNamespaceSpelledOutIsTheSameNetworkAndNamingItTwiceIsRefused() {
        cluster.namespace = shop;
        cluster.network("front", null, true);
        service(shop, "web", 1, List.of(new NetworkAttachment("front"), new NetworkAttachment(shop, "front")));
        cluster.eventually("Ready is False with InvalidSpec", () -> hasCondition(shop, "web", "Ready", "False", "InvalidSpec"));
        assertThat(readyMessage(shop, "web")).contains("spec.networks[1] names OverlayNetwork " + shop + "/front a second time");

        service(shop, "api", 1, List.of(new NetworkAttachment(shop, "front")));
        cluster.eventually("api has its task", () -> pods(shop, "api").size() == 1);
        assertThat(addressOf(pods(shop, "api").get(0), "front")).as("recorded by its plain name").isNotNull();
    }

    @Test
    void aNamespaceThatStopsMatchingKeepsItsRunningTasksButGetsNoNewOnes() throws InterruptedException {
        proxy(null);
        label(shop, PROXY_LABEL, "true");
        service(shop, "web", 2, List.of(new NetworkAttachment(infra, "proxy")));
        FakeKubelet kubelet = kubelet(shop);
        cluster.eventually("2 tasks", () -> pods(shop, "web").size() == 2);
        kubelet.startAll();
        cluster.eventually("web is Ready", () -> hasCondition(shop, "web", "Ready", "True", "AllTasksReady"));
        Map<String, IpAddress> before = new java.util.TreeMap<>();
        pods(shop, "web").forEach(p -> before.put(p.getMetadata().getName(), addressOf(p, infra + "/proxy")));
        String vip = get(shop, "web").getStatus().getVirtualIPs().get(0).getAddress();

        label(shop, PROXY_LABEL, null);
        cluster.eventually("Ready is False with NetworkNotShared", () -> hasCondition(shop, "web", "Ready", "False", "NetworkNotShared"));
        cluster.eventually("a NetworkNotShared warning", () -> warned(shop, "web", "NetworkNotShared", "spec.networks[0]"));
        Map<String, IpAddress> after = new java.util.TreeMap<>();
        pods(shop, "web").forEach(p -> after.put(p.getMetadata().getName(), addressOf(p, infra + "/proxy")));
        assertThat(after).as("the running tasks, untouched").isEqualTo(before);
        assertThat(get(shop, "web").getStatus().getVirtualIPs().get(0).getAddress()).isEqualTo(vip);
        AddressLedger ledger = cluster.operator.ledger();
        before.forEach((pod, address) -> assertThat(ledger.addressOf(shop, infra + "/proxy", AddressOwner.task(pod)))
                .contains(address));

        // a task that ends is not replaced while the namespace may not attach
        String victim = before.keySet().iterator().next();
        kubelet.fail(victim, "container web exited with code 1");
        Thread.sleep(1500);
        assertThat(pods(shop, "web")).extracting(p -> p.getMetadata().getName()).as("no new task")
                .allMatch(before::containsKey);

        label(shop, PROXY_LABEL, "true");
        cluster.eventually("the slot gets a new task again", () -> pods(shop, "web").stream()
                .anyMatch(p -> !before.containsKey(p.getMetadata().getName())));
        kubelet.startAll();
        cluster.eventually("web is Ready again", () -> hasCondition(shop, "web", "Ready", "True", "AllTasksReady"));
    }

    @Test
    void narrowingTheSelectorBlocksTheServicesItNoLongerSelects() {
        proxy(null);
        label(shop, PROXY_LABEL, "true");
        service(shop, "web", 1, List.of(new NetworkAttachment(infra, "proxy")));
        kubelet(shop).startAutomatically();
        cluster.eventually("web is Ready", () -> hasCondition(shop, "web", "Ready", "True", "AllTasksReady"));
        String task = pods(shop, "web").get(0).getMetadata().getName();

        cluster.client.resources(OverlayNetwork.class).inNamespace(infra).withName("proxy").edit(n -> {
            n.getSpec().setShareWith(sharedWith(Map.of(PROXY_LABEL, "true", "tier", "edge")));
            return n;
        });
        cluster.eventually("Ready is False with NetworkNotShared", () -> hasCondition(shop, "web", "Ready", "False", "NetworkNotShared"));
        assertThat(readyMessage(shop, "web")).contains("(" + PROXY_LABEL + "=true,tier=edge) does not select namespace " + shop);
        assertThat(pods(shop, "web")).extracting(p -> p.getMetadata().getName()).containsExactly(task);
        // the network's owner, who cannot read shop's services, is told on the network
        cluster.eventually("the network's Shared condition names the service left outside", () -> sharedCondition() != null
                && "AttachedOutsideSelector".equals(sharedCondition().getReason()));
        assertThat(sharedCondition().getStatus()).isEqualTo("False");
        assertThat(sharedCondition().getMessage()).contains("SwarmService " + shop + "/web of namespace " + shop + " still attach",
                "spec.shareWith.namespaceSelector (" + PROXY_LABEL + "=true,tier=edge) no longer admits it",
                "running tasks and pods keep their addresses and stay attached, new ones are refused");
        cluster.eventually("a warning event on the network", () -> warned(infra, "proxy", "AttachedOutsideSelector",
                "SwarmService " + shop + "/web", "spec.shareWith.namespaceSelector"));

        // removing the network from the service is the way out for the service's owner: its tasks roll off it
        cluster.namespace = shop;
        cluster.network("own", null, true);
        cluster.edit("web", spec -> spec.setNetworks(List.of(new NetworkAttachment("own"))));
        cluster.eventually("web runs on its own network", () -> hasCondition(shop, "web", "Ready", "True", "AllTasksReady")
                && pods(shop, "web").stream().allMatch(p -> addressOf(p, "own") != null));
        cluster.eventually("the old task's address on the shared network is given back", () -> cluster.operator.ledger()
                .holdings(shop, infra + "/proxy").isEmpty());
    }

    @Test
    void deletingASharedNetworkWaitsForTheServicesOfOtherNamespaces() {
        proxy(null);
        label(shop, PROXY_LABEL, "true");
        service(shop, "web", 1, List.of(new NetworkAttachment(infra, "proxy")));
        cluster.eventually("the network lists the service", () -> network().getStatus().getAttachedServices().contains(shop + "/web"));

        cluster.client.resources(OverlayNetwork.class).inNamespace(infra).withName("proxy").delete();
        cluster.eventually("deletion waits, naming the service", () -> {
            var terminating = io.swarmnet.operator.Conditions.find(network().getStatus().getConditions(), "Terminating");
            return terminating != null && terminating.getMessage().contains(shop + "/web");
        });
        cluster.namespace = shop;
        cluster.client.resources(SwarmService.class).inNamespace(shop).withName("web").delete();
        cluster.eventually("the network is gone once the service is", () -> network() == null);
    }

    @Test
    void aTaskPodOfAServiceIsNeverMistakenForAnotherNamespacesPodOfTheSameName() {
        // a pod named like a task of another namespace must not keep or free that task's address
        proxy(null);
        label(shop, PROXY_LABEL, "true");
        service(shop, "web", 1, List.of(new NetworkAttachment(infra, "proxy")));
        cluster.eventually("1 task", () -> pods(shop, "web").size() == 1);
        Pod task = pods(shop, "web").get(0);
        IpAddress address = addressOf(task, infra + "/proxy");
        cluster.client.pods().inNamespace(infra).resource(new PodBuilder().withNewMetadata().withName(task.getMetadata().getName())
                .withNamespace(infra).endMetadata().withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec().build()).create();
        cluster.client.pods().inNamespace(shop).withName(task.getMetadata().getName()).delete();
        cluster.eventually("the task's address is released", () -> cluster.operator.ledger().holdings(shop, infra + "/proxy")
                .values().stream().noneMatch(o -> o.equals(AddressOwner.task(task.getMetadata().getName()))));
        assertThat(cluster.operator.ledger().holdings(shop, infra + "/proxy")).doesNotContainKey(address);
    }
}
