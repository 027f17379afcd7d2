package io.swarmnet.sandboxapi.schema;

import static io.swarmnet.sandboxapi.schema.Admission.create;
import static io.swarmnet.sandboxapi.schema.Admission.created;
import static io.swarmnet.sandboxapi.schema.Admission.update;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every rule of the generated crds/swarmservices.swarmnet.io.yaml, accepting and refusing. */
class SwarmServiceSchemaTest {

    private static final CrdValidator CRD = Crds.SWARM_SERVICE;
    private static final Manifest MINIMAL = Manifest.load("swarmservice-minimal.yaml");
    private static final Manifest FULL = Manifest.load("swarmservice-full.yaml");
    private static final String NOT_CHECKED = "<nil>: Invalid value: \"null\": some validation rules were not checked"
            + " because the object was invalid; correct the existing errors to complete validation";
    private static final String LABEL_PATTERN = "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'";
    private static final String SUBDOMAIN_PATTERN = "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'";
    private static final String DELAY_PATTERN = "'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$'";

    @Test
    void acceptsTheMinimalAndTheFullSample() {
        assertThat(create(CRD, MINIMAL)).isEmpty();
        assertThat(create(CRD, FULL)).isEmpty();
    }

    @Nested
    class Defaults {
        @Test
        void modeDefaultsToReplicatedAndEndpointModeToVip() {
            ObjectNode stored = created(CRD, MINIMAL);
            assertThat(stored.at("/spec/mode").textValue()).isEqualTo("replicated");
            assertThat(stored.at("/spec/endpointMode").textValue()).isEqualTo("vip");
        }

        @Test
        void replicasAndUpdateConfigAreNotInvented() {
            ObjectNode stored = created(CRD, MINIMAL);
            assertThat(stored.at("/spec").has("replicas")).isFalse();
            assertThat(stored.at("/spec").has("updateConfig")).isFalse();
        }

        @Test
        void anEmptyUpdateConfigGetsEveryFieldDefaulted() {
            ObjectNode stored = created(CRD, MINIMAL.with("spec.updateConfig", Map.of()));
            assertThat(stored.at("/spec/updateConfig/parallelism").longValue()).isEqualTo(1);
            assertThat(stored.at("/spec/updateConfig/delay").textValue()).isEqualTo("0s");
            assertThat(stored.at("/spec/updateConfig/order").textValue()).isEqualTo("stop-first");
            assertThat(stored.at("/spec/updateConfig/failureAction").textValue()).isEqualTo("pause");
            assertThat(stored.at("/spec/updateConfig/monitor").textValue()).isEqualTo("5s");
            assertThat(stored.at("/spec/updateConfig/maxFailureRatio").doubleValue()).isZero();
        }

        @Test
        void anEmptyRollbackConfigGetsDockersRollbackDefaults() {
            ObjectNode stored = created(CRD, MINIMAL.with("spec.rollbackConfig", Map.of()));
            assertThat(stored.at("/spec/rollbackConfig/parallelism").longValue()).isEqualTo(1);
            assertThat(stored.at("/spec/rollbackConfig/delay").textValue()).isEqualTo("0s");
            assertThat(stored.at("/spec/rollbackConfig/order").textValue()).isEqualTo("stop-first");
            assertThat(stored.at("/spec/rollbackConfig/failureAction").textValue()).isEqualTo("pause");
            assertThat(stored.at("/spec/rollbackConfig/monitor").textValue()).isEqualTo("5s");
            assertThat(stored.at("/spec/rollbackConfig/maxFailureRatio").doubleValue()).isZero();
            assertThat(created(CRD, MINIMAL).at("/spec").has("rollbackConfig")).isFalse();
        }

        @Test
        void givenValuesAreKept() {
            ObjectNode stored = created(CRD, FULL);
            assertThat(stored.at("/spec/mode").textValue()).isEqualTo("replicated");
            assertThat(stored.at("/spec/endpointMode").textValue()).isEqualTo("dnsrr");
            assertThat(stored.at("/spec/updateConfig/parallelism").longValue()).isEqualTo(2);
            assertThat(stored.at("/spec/updateConfig/delay").textValue()).isEqualTo("1m30s");
            assertThat(stored.at("/spec/updateConfig/order").textValue()).isEqualTo("start-first");
            assertThat(stored.at("/spec/updateConfig/failureAction").textValue()).isEqualTo("rollback");
            assertThat(stored.at("/spec/updateConfig/monitor").textValue()).isEqualTo("30s");
            assertThat(stored.at("/spec/updateConfig/maxFailureRatio").doubleValue()).isEqualTo(0.25);
            assertThat(stored.at("/spec/rollbackConfig/parallelism").longValue()).isZero();
            assertThat(stored.at("/spec/rollbackConfig/failureAction").textValue()).isEqualTo("continue");
            assertThat(stored.at("/spec/rollbackConfig/monitor").textValue()).isEqualTo("10s");
            assertThat(stored.at("/spec/rollbackConfig/order").textValue()).isEqualTo("stop-first");
        }

        @Test
        void aPartialUpdateConfigGetsOnlyTheMissingFields() {
            ObjectNode stored = created(CRD, MINIMAL.with("spec.updateConfig", Map.of("parallelism", 0)));
            assertThat(stored.at("/spec/updateConfig/parallelism").longValue()).isZero();
            assertThat(stored.at("/spec/updateConfig/delay").textValue()).isEqualTo("0s");
            assertThat(stored.at("/spec/updateConfig/order").textValue()).isEqualTo("stop-first");
        }

        @Test
        void aNullModeIsDefaultedLikeAnAbsentOne() {
            ObjectNode object = MINIMAL.json();
            ((ObjectNode) object.get("spec")).putNull("mode");
            assertThat(CRD.admit(object, null)).isEmpty();
            assertThat(object.at("/spec/mode").textValue()).isEqualTo("replicated");
        }
    }

    @Nested
    class Replicas {
        @ParameterizedTest
        @ValueSource(ints = {0, 1, 1000})
        void acceptsZeroAndMore(int replicas) {
            assertThat(create(CRD, MINIMAL.with("spec.replicas", replicas))).isEmpty();
        }

        @Test
        void refusesANegativeCount() {
            assertThat(create(CRD, MINIMAL.with("spec.replicas", -1))).containsExactly(
                    "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0");
        }

        @Test
        void refusesAString() {
            assertThat(create(CRD, MINIMAL.with("spec.replicas", "3"))).containsExactly(
                    "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
                    NOT_CHECKED);
        }

        @Test
        void isForbiddenForAGlobalService() {
            assertThat(create(CRD, FULL.with("spec.mode", "global"))).containsExactly(
                    "spec.replicas: Forbidden: spec.replicas can only be set when spec.mode is replicated;"
                            + " a global service runs one task per eligible node");
        }

        @Test
        void aGlobalServiceWithoutReplicasIsAccepted() {
            assertThat(create(CRD, FULL.with("spec.mode", "global").without("spec.replicas"))).isEmpty();
        }

        @Test
        void isAllowedWhenModeIsLeftToItsDefault() {
            assertThat(create(CRD, MINIMAL.with("spec.replicas", 5))).isEmpty();
        }

        @Test
        void switchingAScaledServiceToGlobalIsRefusedOnUpdateToo() {
            assertThat(update(CRD, FULL, FULL.with("spec.mode", "global"))).containsExactly(
                    "spec.replicas: Forbidden: spec.replicas can only be set when spec.mode is replicated;"
                            + " a global service runs one task per eligible node");
        }
    }

    @Nested
    class Enums {
        @Test
        void modeMustBeReplicatedOrGlobal() {
            assertThat(create(CRD, MINIMAL.with("spec.mode", "swarm"))).containsExactly(
                    "spec.mode: Unsupported value: \"swarm\": supported values: \"global\", \"replicated\"", NOT_CHECKED);
        }

        @Test
        void endpointModeMustBeVipOrDnsrr() {
            assertThat(create(CRD, MINIMAL.with("spec.endpointMode", "ingress"))).containsExactly(
                    "spec.endpointMode: Unsupported value: \"ingress\": supported values: \"dnsrr\", \"vip\"", NOT_CHECKED);
        }

        @Test
        void enumsAreCaseSensitive() {
            assertThat(create(CRD, MINIMAL.with("spec.endpointMode", "VIP"))).first().asString()
                    .startsWith("spec.endpointMode: Unsupported value: \"VIP\"");
        }

        @Test
        void updateOrderMustBeStartFirstOrStopFirst() {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.order", "random"))).containsExactly(
                    "spec.updateConfig.order: Unsupported value: \"random\": supported values: \"start-first\", \"stop-first\"",
                    NOT_CHECKED);
        }

        @ParameterizedTest
        @ValueSource(strings = {"global", "replicated"})
        void acceptsEachMode(String mode) {
            assertThat(create(CRD, MINIMAL.with("spec.mode", mode))).isEmpty();
        }
    }

    @Nested
    class UpdateConfig {
        @ParameterizedTest
        @ValueSource(ints = {0, 1, 50})
        void parallelismAcceptsZeroAndMore(int parallelism) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.parallelism", parallelism))).isEmpty();
        }

        @Test
        void parallelismRefusesANegativeValue() {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.parallelism", -1))).containsExactly(
                    "spec.updateConfig.parallelism: Invalid value: -1: spec.updateConfig.parallelism in body should be"
                            + " greater than or equal to 0");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0s", "10s", "250ms", "1.5s", "1m30s", "2h", "1h2m3s"})
        void delayAcceptsGoDurations(String delay) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.delay", delay))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"10", "ten seconds", "10 s", "-1s", "1d", "s", ""})
        void delayRefusesWhatIsNotADuration(String delay) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.delay", delay))).containsExactly(
                    "spec.updateConfig.delay: Invalid value: \"" + delay + "\": spec.updateConfig.delay in body should match "
                            + DELAY_PATTERN);
        }

        @ParameterizedTest
        @ValueSource(strings = {"pause", "continue", "rollback"})
        void failureActionAcceptsDockersActions(String action) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.failureAction", action))).isEmpty();
        }

        @Test
        void failureActionRefusesAnUnknownAction() {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.failureAction", "abort"))).containsExactly(
                    "spec.updateConfig.failureAction: Unsupported value: \"abort\": supported values: \"continue\", \"pause\", \"rollback\"",
                    NOT_CHECKED);
        }

        @ParameterizedTest
        @ValueSource(strings = {"5s", "250ms", "1m30s"})
        void monitorAcceptsGoDurations(String monitor) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.monitor", monitor))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"5", "5 seconds", "-5s"})
        void monitorRefusesWhatIsNotADuration(String monitor) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.monitor", monitor))).containsExactly(
                    "spec.updateConfig.monitor: Invalid value: \"" + monitor + "\": spec.updateConfig.monitor in body should match "
                            + DELAY_PATTERN);
        }

        @ParameterizedTest
        @ValueSource(doubles = {0, 0.25, 1})
        void maxFailureRatioAcceptsZeroToOne(double ratio) {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.maxFailureRatio", ratio))).isEmpty();
        }

        @Test
        void maxFailureRatioRefusesANegativeRatio() {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.maxFailureRatio", -0.1))).containsExactly(
                    "spec.updateConfig.maxFailureRatio: Invalid value: -0.1: spec.updateConfig.maxFailureRatio in body should be"
                            + " greater than or equal to 0");
        }

        @Test
        void maxFailureRatioRefusesARatioAboveOne() {
            assertThat(create(CRD, MINIMAL.with("spec.updateConfig.maxFailureRatio", 1.5))).containsExactly(
                    "spec.updateConfig.maxFailureRatio: Invalid value: 1.5: spec.updateConfig.maxFailureRatio in body should be"
                            + " less than or equal to 1");
        }
    }

    @Nested
    class RollbackConfig {
        @ParameterizedTest
        @ValueSource(strings = {"pause", "continue"})
        void failureActionAcceptsPauseAndContinue(String action) {
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.failureAction", action))).isEmpty();
        }

        @Test
        void failureActionRefusesRollback() {
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.failureAction", "rollback"))).containsExactly(
                    "spec.rollbackConfig.failureAction: Unsupported value: \"rollback\": supported values: \"continue\", \"pause\"",
                    NOT_CHECKED);
        }

        @Test
        void parallelismRefusesANegativeValue() {
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.parallelism", -1))).containsExactly(
                    "spec.rollbackConfig.parallelism: Invalid value: -1: spec.rollbackConfig.parallelism in body should be"
                            + " greater than or equal to 0");
        }

        @Test
        void delayAndMonitorRefuseWhatIsNotADuration() {
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.delay", "10"))).containsExactly(
                    "spec.rollbackConfig.delay: Invalid value: \"10\": spec.rollbackConfig.delay in body should match " + DELAY_PATTERN);
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.monitor", "1d"))).containsExactly(
                    "spec.rollbackConfig.monitor: Invalid value: \"1d\": spec.rollbackConfig.monitor in body should match "
                            + DELAY_PATTERN);
        }

        @Test
        void orderMustBeStartFirstOrStopFirst() {
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.order", "random"))).containsExactly(
                    "spec.rollbackConfig.order: Unsupported value: \"random\": supported values: \"start-first\", \"stop-first\"",
                    NOT_CHECKED);
        }

        @Test
        void maxFailureRatioStaysWithinZeroToOne() {
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.maxFailureRatio", 2))).containsExactly(
                    "spec.rollbackConfig.maxFailureRatio: Invalid value: 2: spec.rollbackConfig.maxFailureRatio in body should be"
                            + " less than or equal to 1");
            assertThat(create(CRD, MINIMAL.with("spec.rollbackConfig.maxFailureRatio", 0.5))).isEmpty();
        }
    }

    @Nested
    class Networks {
        @ParameterizedTest
        @ValueSource(strings = {"a", "my-network", "net0", "0net", "a23456789012345678901234567890123456789012345678901234567890123"})
        void nameAcceptsADns1123Label(String name) {
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", name))))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"My-Network", "my_network", "my.network", "-net", "net-"})
        void nameRefusesWhatIsNotADns1123Label(String name) {
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", name))))).containsExactly(
                    "spec.networks[0].name: Invalid value: \"" + name + "\": spec.networks[0].name in body should match "
                            + LABEL_PATTERN);
        }

        @Test
        void nameRefusesMoreThan63Characters() {
            String name = "a".repeat(64);
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", name))))).containsExactly(
                    "spec.networks[0].name: Too long: may not be longer than 63", NOT_CHECKED);
        }

        @Test
        void nameRefusesAnEmptyString() {
            // kube-openapi stops at the first string problem: minLength is reported, the pattern is not
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", ""))))).containsExactly(
                    "spec.networks[0].name: Invalid value: \"\": spec.networks[0].name in body should be at least 1 chars long");
        }

        @Test
        void nameIsRequired() {
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("aliases", List.of("web"))))))
                    .containsExactly("spec.networks[0].name: Required value", NOT_CHECKED);
        }

        @ParameterizedTest
        @ValueSource(strings = {"web", "web.example", "a.b.c", "web-1.example-2"})
        void aliasesAcceptDns1123Subdomains(String alias) {
            assertThat(create(CRD, FULL.with("spec.networks[0].aliases", List.of(alias)))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"Web", "-web", "web.", ".web", "web..example", "web_1"})
        void aliasesRefuseWhatIsNotADns1123Subdomain(String alias) {
            assertThat(create(CRD, FULL.with("spec.networks[0].aliases", List.of("ok", alias)))).containsExactly(
                    "spec.networks[0].aliases[1]: Invalid value: \"" + alias + "\": spec.networks[0].aliases[1] in body"
                            + " should match " + SUBDOMAIN_PATTERN);
        }

        @Test
        void aliasesRefuseMoreThan253Characters() {
            String alias = ("a".repeat(62) + ".").repeat(4) + "ab";
            assertThat(create(CRD, FULL.with("spec.networks[0].aliases", List.of(alias)))).containsExactly(
                    "spec.networks[0].aliases[0]: Too long: may not be longer than 253", NOT_CHECKED);
        }

        @Test
        void aNetworkListedTwiceIsRefused() {
            Manifest twice = FULL.with("spec.networks", Manifest.list(Map.of("name", "a"), Map.of("name", "b"),
                    Map.of("name", "a", "aliases", List.of("web"))));
            assertThat(create(CRD, twice)).containsExactly(
                    "spec.networks: Invalid value: \"array\": spec.networks lists a network more than once; list each"
                            + " network once and put every alias on that entry");
            Manifest sharedTwice = FULL.with("spec.networks", Manifest.list(Map.of("name", "proxy", "namespace", "infra"),
                    Map.of("name", "proxy", "namespace", "infra", "aliases", List.of("web"))));
            assertThat(create(CRD, sharedTwice)).containsExactly(
                    "spec.networks: Invalid value: \"array\": spec.networks lists a network more than once; list each"
                            + " network once and put every alias on that entry");
        }

        @Test
        void oneNameInTwoNamespacesIsTwoNetworks() {
            assertThat(create(CRD, FULL.with("spec.networks", Manifest.list(Map.of("name", "proxy"),
                    Map.of("name", "proxy", "namespace", "infra"), Map.of("name", "proxy", "namespace", "edge"))))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"infra", "kube-public", "a23456789012345678901234567890123456789012345678901234567890123"})
        void namespaceAcceptsADns1123Label(String namespace) {
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", "proxy", "namespace", namespace)))))
                    .isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"Infra", "in_fra", "in.fra", "-infra"})
        void namespaceRefusesWhatIsNotADns1123Label(String namespace) {
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", "proxy", "namespace", namespace)))))
                    .containsExactly("spec.networks[0].namespace: Invalid value: \"" + namespace + "\": spec.networks[0].namespace "
                            + "in body should match " + LABEL_PATTERN);
        }

        @Test
        void namespaceRefusesAnEmptyOrTooLongName() {
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", "proxy", "namespace", "")))))
                    .containsExactly("spec.networks[0].namespace: Invalid value: \"\": spec.networks[0].namespace in body should be "
                            + "at least 1 chars long");
            assertThat(create(CRD, MINIMAL.with("spec.networks", Manifest.list(Map.of("name", "proxy", "namespace",
                    "a".repeat(64)))))).containsExactly("spec.networks[0].namespace: Too long: may not be longer than 63", NOT_CHECKED);
        }

        @Test
        void distinctNetworksAreAccepted() {
            assertThat(create(CRD, FULL.with("spec.networks", Manifest.list(Map.of("name", "a"), Map.of("name", "b"),
                    Map.of("name", "c"))))).isEmpty();
        }

        @Test
        void atLeastOneNetworkIsNeeded() {
            assertThat(create(CRD, MINIMAL.with("spec.networks", List.of()))).containsExactly(
                    "spec.networks: Invalid value: 0: spec.networks in body should have at least 1 items");
        }

        @Test
        void atMost32NetworksAreAllowed() {
            assertThat(create(CRD, MINIMAL.with("spec.networks", networks(32)))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.networks", networks(33)))).containsExactly(
                    "spec.networks: Too many: 33: must have at most 32 items", NOT_CHECKED);
        }

        private static List<Map<String, String>> networks(int count) {
            List<Map<String, String>> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                out.add(Map.of("name", "net-" + i));
            }
            return out;
        }
    }

    @Nested
    class Publish {
        private static Map<String, Object> port(Object... keyValues) {
            Map<String, Object> port = new java.util.LinkedHashMap<>();
            for (int i = 0; i < keyValues.length; i += 2) {
                port.put((String) keyValues[i], keyValues[i + 1]);
            }
            return port;
        }

        @Test
        void protocolDefaultsToTcpAndModeToIngress() {
            ObjectNode stored = created(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 80, "publishedPort", 30080))));
            assertThat(stored.at("/spec/publish/0/protocol").asText()).isEqualTo("tcp");
            assertThat(stored.at("/spec/publish/0/mode").asText()).isEqualTo("ingress");
            assertThat(stored.at("/spec/publish/0").has("publishedPort")).isTrue();
        }

        @Test
        void anIngressPortMayLeaveThePublishedPortToKubernetes() {
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 80))))).isEmpty();
        }

        @Test
        void portsAreOneTo65535() {
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 65535, "publishedPort", 1))))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 0, "publishedPort", 65536)))))
                    .containsExactlyInAnyOrder(
                            "spec.publish[0].publishedPort: Invalid value: 65536: spec.publish[0].publishedPort in body should be"
                                    + " less than or equal to 65535",
                            "spec.publish[0].targetPort: Invalid value: 0: spec.publish[0].targetPort in body should be greater"
                                    + " than or equal to 1");
        }

        @Test
        void targetPortIsRequired() {
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("publishedPort", 8080)))))
                    .containsExactly("spec.publish[0].targetPort: Required value", NOT_CHECKED);
        }

        @Test
        void protocolAndModeAreDockersWords() {
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 53, "protocol", "sctp",
                    "mode", "mesh"))))).containsExactlyInAnyOrder(
                    "spec.publish[0].mode: Unsupported value: \"mesh\": supported values: \"host\", \"ingress\"",
                    "spec.publish[0].protocol: Unsupported value: \"sctp\": supported values: \"tcp\", \"udp\"",
                    NOT_CHECKED);
        }

        @Test
        void hostModeNeedsAPublishedPort() {
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 80, "mode", "host"))))).containsExactly(
                    "spec.publish[0].publishedPort: Required value: publishedPort is required in mode host: it is the port"
                            + " bound on each task's node; give one, or use mode ingress to have one allocated");
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 80, "publishedPort", 8080,
                    "mode", "host"))))).isEmpty();
        }

        @Test
        void aPublishedPortTwiceForOneProtocolIsRefusedButTcpAndUdpMayShareIt() {
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 53, "publishedPort", 30053),
                    port("targetPort", 53, "publishedPort", 30053, "protocol", "udp"), port("targetPort", 80))))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.publish", List.of(port("targetPort", 80, "publishedPort", 30080),
                    port("targetPort", 81, "publishedPort", 30080, "mode", "host"))))).containsExactly(
                    "spec.publish: Invalid value: \"array\": spec.publish lists a publishedPort more than once for the same"
                            + " protocol; a port can be published once per protocol: remove the duplicate or give it another"
                            + " publishedPort");
        }

        @Test
        void atMost64PortsArePublished() {
            List<Map<String, Object>> ports = new ArrayList<>();
            for (int i = 0; i < 65; i++) {
                ports.add(port("targetPort", 80, "publishedPort", 30000 + i));
            }
            assertThat(create(CRD, MINIMAL.with("spec.publish", ports.subList(0, 64)))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.publish", ports))).containsExactly(
                    "spec.publish: Too many: 65: must have at most 64 items", NOT_CHECKED);
        }
    }

    @Nested
    class RequiredFields {
        @Test
        void templateIsRequired() {
            assertThat(create(CRD, MINIMAL.without("spec.template"))).containsExactly(
                    "spec.template: Required value", NOT_CHECKED);
        }

        @Test
        void networksAreRequired() {
            assertThat(create(CRD, MINIMAL.without("spec.networks"))).containsExactly(
                    "spec.networks: Required value", NOT_CHECKED);
        }

        @Test
        void bothMissingAreReportedTogether() {
            assertThat(create(CRD, MINIMAL.without("spec.networks").without("spec.template"))).containsExactly(
                    "spec.networks: Required value", "spec.template: Required value", NOT_CHECKED);
        }
    }

    @Nested
    class PodTemplate {
        @Test
        void portsMayBeNamesOrNumbers() {
            // x-kubernetes-int-or-string in the generated PodTemplateSpec schema
            assertThat(create(CRD, FULL.with("spec.template.spec.containers[0].readinessProbe.httpGet.port", 8080))).isEmpty();
            assertThat(create(CRD, FULL.with("spec.template.spec.containers[0].readinessProbe.httpGet.port", "http"))).isEmpty();
        }

        @Test
        void aPortMayNotBeABoolean() {
            String port = "spec.template.spec.containers[0].readinessProbe.httpGet.port";
            assertThat(create(CRD, FULL.with(port, true))).containsExactly(
                    port + ": Invalid value: \"boolean\": " + port + " in body must be of type integer,string: \"boolean\"",
                    "<nil>: Invalid value: \"\": \"" + port + "\" must validate at least one schema (anyOf)",
                    port + ": Invalid value: \"boolean\": " + port + " in body must be of type integer: \"boolean\"",
                    NOT_CHECKED);
        }

        @Test
        void aMisspelledContainerFieldIsAnUnknownField() {
            assertThat(create(CRD, FULL.with("spec.template.spec.containers[0].imagePullPolice", "Always")))
                    .containsExactly("unknown field \"spec.template.spec.containers[0].imagePullPolice\"");
        }

        @Test
        void labelsAreAStringMap() {
            assertThat(create(CRD, FULL.with("spec.template.metadata.labels", Map.of("app", "web", "tier", "front")))).isEmpty();
            assertThat(create(CRD, FULL.with("spec.template.metadata.labels", Map.of("replicas", 3)))).first().isEqualTo(
                    "spec.template.metadata.labels.replicas: Invalid value: \"integer\": spec.template.metadata.labels.replicas"
                            + " in body must be of type string: \"integer\"");
        }
    }

    @Test
    void statusIsValidatedAgainstItsSchemaToo() {
        assertThat(create(CRD, FULL.with("status.replicas", "three"))).first().isEqualTo(
                "status.replicas: Invalid value: \"string\": status.replicas in body must be of type integer: \"string\"");
    }
}
