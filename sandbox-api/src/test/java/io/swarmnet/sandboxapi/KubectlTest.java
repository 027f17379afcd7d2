package io.swarmnet.sandboxapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl 1.32 against the sandbox API: what a user types, what they see. */
class KubectlTest {

    private static SandboxApiServer api;
    private static KubernetesClient client;
    private static Kubectl kubectl;

    @BeforeAll
    static void start(@TempDir Path dir) {
        api = SandboxApiServer.start();
        client = api.client();
        kubectl = new Kubectl(api, dir);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    private static String network(String name, String subnet, String extra) {
        return """
                apiVersion: swarmnet.io/v1alpha1
                kind: OverlayNetwork
                metadata: {name: %s, labels: {team: blue}}
                spec: {subnet: "%s"%s}
                """.formatted(name, subnet, extra);
    }

    private static String service(String name, int replicas) {
        return Objects.serviceManifest(name, replicas);
    }

    @Test
    void applyCreatesThenUpdatesAndGetPrintsThePrinterColumns() {
        Path manifest = kubectl.manifest("apply.yaml", network("applied", "10.0.40.0/24", ""));
        assertThat(kubectl.run("apply", "-f", manifest.toString()).out()).contains("overlaynetwork.swarmnet.io/applied created");
        assertThat(kubectl.run("apply", "-f", manifest.toString()).out()).contains("overlaynetwork.swarmnet.io/applied unchanged");

        kubectl.manifest("apply.yaml", network("applied", "10.0.40.0/24", ", mtu: 1400"));
        assertThat(kubectl.run("apply", "-f", manifest.toString()).out()).contains("overlaynetwork.swarmnet.io/applied configured");
        assertThat(kubectl.run("get", "onet", "applied", "-o", "jsonpath={.spec.mtu} {.metadata.generation} {.spec.encrypted}").out())
                .isEqualTo("1400 2 false");

        Kubectl.Result table = kubectl.run("get", "overlaynetworks");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out().lines().findFirst().orElse(""))
                .contains("NAME").contains("SUBNET").contains("VNI").contains("ENCRYPTED").contains("READY").contains("AGE");
        assertThat(table.out()).contains("applied");
    }

    @Test
    void categoryShortNamesSelectorsAndYamlOutput() {
        kubectl.run("apply", "-f", kubectl.manifest("cat-net.yaml", network("cat-net", "10.0.41.0/24", "")).toString());
        kubectl.run("apply", "-f", kubectl.manifest("cat-svc.yaml", service("cat-web", 2)).toString());

        Kubectl.Result all = kubectl.run("get", "swarmnet");
        assertThat(all.out()).as(all.toString()).contains("overlaynetwork.swarmnet.io/cat-net").contains("swarmservice.swarmnet.io/cat-web");
        assertThat(kubectl.run("get", "ssvc", "-o", "name").out()).contains("swarmservice.swarmnet.io/cat-web");
        assertThat(kubectl.run("get", "onet", "-l", "team=blue", "-o", "name").out()).contains("cat-net");
        assertThat(kubectl.run("get", "onet", "-l", "team!=blue", "-o", "name").out()).doesNotContain("cat-net");
        Kubectl.Result yaml = kubectl.run("get", "ssvc", "cat-web", "-o", "yaml");
        assertThat(yaml.out()).contains("kind: SwarmService").contains("resourceVersion:").contains("endpointMode: vip");
    }

    @Test
    void scaleWritesReplicasThroughTheScaleSubresource() {
        kubectl.run("apply", "-f", kubectl.manifest("scale.yaml", service("scaled", 3)).toString());
        Kubectl.Result scale = kubectl.run("scale", "ssvc/scaled", "--replicas=5");
        assertThat(scale.out()).as(scale.toString()).contains("swarmservice.swarmnet.io/scaled scaled");
        assertThat(kubectl.run("get", "ssvc", "scaled", "-o", "jsonpath={.spec.replicas} {.metadata.generation}").out()).isEqualTo("5 2");
        assertThat(kubectl.run("get", "--raw", "/apis/swarmnet.io/v1alpha1/namespaces/default/swarmservices/scaled/scale").out())
                .contains("\"kind\":\"Scale\"").contains("\"replicas\":5");
    }

    @Test
    void describeAndExplainOurKinds() {
        kubectl.run("apply", "-f", kubectl.manifest("describe.yaml", network("described", "10.0.42.0/24", "")).toString());
        Kubectl.Result describe = kubectl.run("describe", "onet", "described");
        assertThat(describe.out()).as(describe.toString()).contains("Name:         described").contains("Subnet:").contains("Events:");

        Kubectl.Result explain = kubectl.run("explain", "overlaynetwork.spec");
        assertThat(explain.out()).as(explain.toString()).contains("KIND:       OverlayNetwork").contains("subnet").contains("encrypted");
        assertThat(kubectl.run("explain", "swarmservice.spec.endpointMode").out()).contains("dnsrr");
    }

    @Test
    void getWatchPrintsAChangeAsItHappens() throws Exception {
        kubectl.run("apply", "-f", kubectl.manifest("watch.yaml", network("watched", "10.0.43.0/24", "")).toString());
        Process watch = kubectl.start("get", "onet", "watched", "-w");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(lines.readLine()).contains("NAME").contains("SUBNET");
            assertThat(lines.readLine()).startsWith("watched");
            Objects.networks(client).withName("watched").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"status\":{\"subnet\":\"10.0.43.0/24\",\"vxlanId\":4242}}");
            assertThat(lines.readLine()).startsWith("watched").contains("10.0.43.0/24").contains("4242");
        } finally {
            watch.destroy();
            watch.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void waitForConditionReadyReturnsWhenTheConditionTurnsTrue() throws Exception {
        kubectl.run("apply", "-f", kubectl.manifest("wait.yaml", network("awaited", "10.0.44.0/24", "")).toString());
        Process wait = kubectl.start("wait", "--for=condition=Ready", "onet/awaited", "--timeout=60s");
        Thread.sleep(1500);
        assertThat(wait.isAlive()).as("still waiting while not Ready").isTrue();
        Objects.networks(client).withName("awaited").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Allocated\","
                        + "\"message\":\"subnet allocated\",\"lastTransitionTime\":\"2026-11-25T12:00:00Z\"}]}}");
        assertThat(wait.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(wait.exitValue()).isZero();
        assertThat(Kubectl.read(wait.getInputStream())).contains("overlaynetwork.swarmnet.io/awaited condition met");
    }

    @Test
    void createGetDescribeAndDeleteBuiltInKinds() {
        Path manifest = kubectl.manifest("builtins.yaml", """
                apiVersion: v1
                kind: Namespace
                metadata: {name: team-a}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: team-a}
                data: {mode: fast}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web-1, namespace: team-a, labels: {app: web}}
                spec:
                  containers: [{name: web, image: nginx, command: [nginx, -g, "daemon off;"]}]
                """);
        Kubectl.Result create = kubectl.run("create", "-f", manifest.toString());
        assertThat(create.out()).as(create.toString())
                .contains("namespace/team-a created", "configmap/settings created", "pod/web-1 created");
        Kubectl.Result pods = kubectl.run("get", "pods", "-n", "team-a");
        assertThat(pods.out()).contains("READY").contains("STATUS").contains("web-1").contains("Pending");
        assertThat(kubectl.run("get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.data.mode}").out()).isEqualTo("fast");
        assertThat(kubectl.run("describe", "pod", "web-1", "-n", "team-a").out()).contains("Image:").contains("nginx");

        Kubectl.Result delete = kubectl.run("delete", "-f", manifest.toString());
        assertThat(delete.exitCode()).as(delete.toString()).isZero();
        assertThat(kubectl.run("get", "ns", "team-a").err()).contains("NotFound");
    }

    /** kubectl get lists in chunks (500 unless --chunk-size says otherwise) and follows each continue token. */
    @Test
    void getReadsAListInChunksAndPrintsEveryObjectOnce() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("chunked").endMetadata().build()).create();
        for (int i = 0; i < 7; i++) {
            client.configMaps().inNamespace("chunked").resource(new ConfigMapBuilder().withNewMetadata().withName("cm-" + i)
                    .endMetadata().addToData("i", Integer.toString(i)).build()).create();
        }

        Kubectl.Result table = kubectl.run("get", "configmaps", "-n", "chunked", "--chunk-size=3", "-v=6");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.out().lines().map(line -> line.split("\\s+")[0]))
                .containsExactly("NAME", "cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6");
        assertThat(table.err().lines().filter(line -> line.contains("/namespaces/chunked/configmaps?")))
                .as(table.err()).hasSize(3).allMatch(line -> line.contains("limit=3"))
                .filteredOn(line -> line.contains("continue=")).hasSize(2);
        assertThat(kubectl.run("get", "configmaps", "-n", "chunked", "--chunk-size=3", "-o", "name").out().lines())
                .containsExactly("configmap/cm-0", "configmap/cm-1", "configmap/cm-2", "configmap/cm-3", "configmap/cm-4",
                        "configmap/cm-5", "configmap/cm-6");
    }

    @Test
    void badNamesAndMissingNamespacesAreRefusedAsByARealServer() {
        Kubectl.Result badName = kubectl.run("apply", "-f", kubectl.manifest("badname.yaml", network("My_Net", "10.0.47.0/24", "")).toString());
        assertThat(badName.exitCode()).isNotZero();
        assertThat(badName.err()).as(badName.toString()).contains("metadata.name: Invalid value: \"My_Net\"")
                .contains("RFC 1123 subdomain");
        Kubectl.Result missing = kubectl.run("apply", "-n", "nowhere", "-f",
                kubectl.manifest("nowhere.yaml", network("lost", "10.0.48.0/24", "")).toString());
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err()).as(missing.toString()).contains("namespaces \"nowhere\" not found");
    }

    @Test
    void serverDryRunAdmitsWithoutStoring() {
        Path manifest = kubectl.manifest("dry.yaml", network("dry", "10.0.46.0/24", ""));
        Kubectl.Result dry = kubectl.run("apply", "--dry-run=server", "-f", manifest.toString());
        assertThat(dry.out()).as(dry.toString()).contains("overlaynetwork.swarmnet.io/dry created (server dry run)");
        assertThat(kubectl.run("get", "onet", "dry").err()).contains("not found");
        Kubectl.Result refused = kubectl.run("apply", "--dry-run=server", "-f",
                kubectl.manifest("dry-bad.yaml", network("dry-bad", "10.0.9.0/40", "")).toString());
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("spec.subnet: Invalid value");
    }

    @Test
    void unknownKindsAndPathsAreNotFound() {
        Kubectl.Result kind = kubectl.run("get", "frobnicators");
        assertThat(kind.exitCode()).isNotZero();
        assertThat(kind.err()).contains("the server doesn't have a resource type \"frobnicators\"");
        Kubectl.Result raw = kubectl.run("get", "--raw", "/apis/nothing.io/v1/things");
        assertThat(raw.exitCode()).isNotZero();
        assertThat(raw.err()).contains("NotFound");
        assertThat(kubectl.run("get", "onet", "missing").err()).contains("overlaynetworks.swarmnet.io \"missing\" not found");
    }

    @Test
    void anInvalidManifestIsRefusedAndTheStoreIsUnchanged() {
        Kubectl.Result refused = kubectl.run("apply", "-f", kubectl.manifest("bad.yaml", network("bad", "10.0.9.0/33", "")).toString());
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).as(refused.toString())
                .contains("The OverlayNetwork \"bad\" is invalid")
                .contains("spec.subnet: Invalid value: \"10.0.9.0/33\"");
        assertThat(kubectl.run("get", "onet", "bad").err()).contains("not found");

        Path good = kubectl.manifest("kept.yaml", network("kept", "10.0.45.0/24", ", encrypted: false"));
        assertThat(kubectl.run("apply", "-f", good.toString()).exitCode()).isZero();
        String before = kubectl.run("get", "onet", "kept", "-o", "jsonpath={.metadata.resourceVersion}").out();
        kubectl.manifest("kept.yaml", network("kept", "10.0.45.0/24", ", encrypted: true"));
        Kubectl.Result transition = kubectl.run("apply", "-f", good.toString());
        assertThat(transition.exitCode()).isNotZero();
        assertThat(transition.err()).as(transition.toString()).contains("spec.encrypted");
        assertThat(kubectl.run("get", "onet", "kept", "-o", "jsonpath={.metadata.resourceVersion} {.spec.encrypted}").out())
                .isEqualTo(before + " false");

        GenericKubernetesResource stored = Objects.networks(client).withName("kept").get();
        assertThat(ObjectSemanticsTest.specOf(stored)).containsEntry("encrypted", false);
    }
}
