package io.swarmnet.sandboxapi.schema;

import static io.swarmnet.sandboxapi.schema.Admission.create;
import static io.swarmnet.sandboxapi.schema.Admission.created;
import static io.swarmnet.sandboxapi.schema.Admission.update;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every rule of the generated crds/overlaynetworks.swarmnet.io.yaml, accepting and refusing. */
class OverlayNetworkSchemaTest {

    private static final CrdValidator CRD = Crds.OVERLAY_NETWORK;
    private static final Manifest MINIMAL = Manifest.load("overlaynetwork-minimal.yaml");
    private static final Manifest FULL = Manifest.load("overlaynetwork-full.yaml");
    private static final String NOT_CHECKED = "<nil>: Invalid value: \"null\": some validation rules were not checked"
            + " because the object was invalid; correct the existing errors to complete validation";
    private static final String SUBNET_PATTERN = "'^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
            + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12][0-9]|[0-9])$'";
    private static final String GATEWAY_PATTERN = "'^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
            + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$'";
    private static final String GATEWAY_OUTSIDE = "spec.gateway: Invalid value: \"object\": spec.gateway must be an"
            + " address inside spec.subnet (and spec.subnet must be set when spec.gateway is)";
    private static final String RANGE_OUTSIDE = "spec.ipRange: Invalid value: \"object\": spec.ipRange must be a CIDR"
            + " inside spec.subnet (and spec.subnet must be set when spec.ipRange is)";
    private static final String SUBNET_TOO_SMALL = "spec.subnet: Invalid value: \"object\": spec.subnet must be /29 or"
            + " larger: a network needs a gateway, a virtual IP and task addresses";

    @Test
    void acceptsTheMinimalAndTheFullSample() {
        assertThat(create(CRD, MINIMAL)).isEmpty();
        assertThat(create(CRD, FULL)).isEmpty();
    }

    @Nested
    class Defaults {
        @Test
        void encryptedDefaultsToFalse() {
            ObjectNode stored = created(CRD, MINIMAL);
            assertThat(stored.at("/spec/encrypted").isBoolean()).isTrue();
            assertThat(stored.at("/spec/encrypted").booleanValue()).isFalse();
        }

        @Test
        void encryptedIsKeptWhenGiven() {
            assertThat(created(CRD, FULL).at("/spec/encrypted").booleanValue()).isTrue();
        }

        @Test
        void noOtherFieldIsInvented() {
            assertThat(created(CRD, MINIMAL).get("spec").fieldNames()).toIterable().containsExactly("encrypted");
        }
    }

    @Nested
    class SubnetAndIpRangeSyntax {
        @ParameterizedTest
        @ValueSource(strings = {"10.0.9.0/24", "0.0.0.0/0", "192.168.0.0/16", "10.0.9.0/29"})
        void acceptsCidrs(String subnet) {
            assertThat(create(CRD, MINIMAL.with("spec.subnet", subnet))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.0.9.0/33", "10.0.9.256/24", "10.0.9.0", "10.0.09.0/24", "my-subnet", "10.0.9.0/024"})
        void refusesWhatIsNotAnIpv4Cidr(String subnet) {
            assertThat(create(CRD, MINIMAL.with("spec.subnet", subnet))).first().isEqualTo(
                    "spec.subnet: Invalid value: \"" + subnet + "\": spec.subnet in body should match " + SUBNET_PATTERN);
        }

        @Test
        void aBadSubnetAlsoFailsTheCelRulesThatParseItAsKubernetesDoes() {
            assertThat(create(CRD, MINIMAL.with("spec.subnet", "10.0.9.0/33"))).contains(
                    "spec: Invalid value: \"object\": network address parse error during conversion from string:"
                            + " netip.ParsePrefix(\"10.0.9.0/33\"): bad bits after slash: \"33\" evaluating rule:"
                            + " spec.subnet must be /29 or larger: a network needs a gateway, a virtual IP and task addresses");
        }

        @Test
        void refusesAnIpRangeThatIsNotACidr() {
            assertThat(create(CRD, FULL.with("spec.ipRange", "10.0.9.128"))).first().isEqualTo(
                    "spec.ipRange: Invalid value: \"10.0.9.128\": spec.ipRange in body should match " + SUBNET_PATTERN);
        }

        @Test
        void refusesASubnetLongerThanACidrCanBe() {
            assertThat(create(CRD, MINIMAL.with("spec.subnet", "100.100.100.100/32/"))).first().isEqualTo(
                    "spec.subnet: Too long: may not be longer than 18");
        }
    }

    @Nested
    class GatewaySyntax {
        @Test
        void acceptsAnAddress() {
            assertThat(create(CRD, FULL.with("spec.gateway", "10.0.9.254"))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.0.9.256", "10.0.9", "10.0.9.1/24", "gateway", "10.0.9.01"})
        void refusesWhatIsNotAnIpv4Address(String gateway) {
            assertThat(create(CRD, FULL.with("spec.gateway", gateway))).first().isEqualTo(
                    "spec.gateway: Invalid value: \"" + gateway + "\": spec.gateway in body should match " + GATEWAY_PATTERN);
        }
    }

    @Nested
    class GatewayInsideSubnet {
        @ParameterizedTest
        @ValueSource(strings = {"10.0.9.0", "10.0.9.1", "10.0.9.255"})
        void acceptsAnyAddressOfTheSubnet(String gateway) {
            assertThat(create(CRD, FULL.with("spec.gateway", gateway))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.0.8.1", "10.0.10.1", "192.168.0.1"})
        void refusesAnAddressOutsideTheSubnet(String gateway) {
            assertThat(create(CRD, FULL.with("spec.gateway", gateway))).containsExactly(GATEWAY_OUTSIDE);
        }

        @Test
        void refusesAGatewayWithoutASubnet() {
            assertThat(create(CRD, MINIMAL.with("spec.gateway", "10.0.9.1"))).containsExactly(GATEWAY_OUTSIDE);
        }
    }

    @Nested
    class IpRangeInsideSubnet {
        @ParameterizedTest
        @ValueSource(strings = {"10.0.9.0/24", "10.0.9.128/25", "10.0.9.240/28", "10.0.9.7/32"})
        void acceptsAPartOfTheSubnet(String ipRange) {
            assertThat(create(CRD, FULL.with("spec.ipRange", ipRange))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.0.8.0/25", "10.0.0.0/16", "10.0.10.0/24"})
        void refusesARangeThatIsNotInsideTheSubnet(String ipRange) {
            assertThat(create(CRD, FULL.with("spec.ipRange", ipRange))).containsExactly(RANGE_OUTSIDE);
        }

        @Test
        void refusesAnIpRangeWithoutASubnet() {
            assertThat(create(CRD, MINIMAL.with("spec.ipRange", "10.0.9.0/25"))).containsExactly(RANGE_OUTSIDE);
        }
    }

    @Nested
    class SubnetSize {
        @ParameterizedTest
        @ValueSource(strings = {"10.0.0.0/8", "10.0.9.0/24", "10.0.9.8/29"})
        void acceptsSlash29AndLarger(String subnet) {
            assertThat(create(CRD, MINIMAL.with("spec.subnet", subnet))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.0.9.0/30", "10.0.9.0/31", "10.0.9.1/32"})
        void refusesSmallerThanSlash29(String subnet) {
            assertThat(create(CRD, MINIMAL.with("spec.subnet", subnet))).containsExactly(SUBNET_TOO_SMALL);
        }
    }

    @Nested
    class VxlanIdRange {
        @ParameterizedTest
        @ValueSource(ints = {1, 4096, 16777215})
        void acceptsOneTo16777215(int vxlanId) {
            assertThat(create(CRD, MINIMAL.with("spec.vxlanId", vxlanId))).isEmpty();
        }

        @Test
        void refusesZero() {
            assertThat(create(CRD, MINIMAL.with("spec.vxlanId", 0))).containsExactly(
                    "spec.vxlanId: Invalid value: 0: spec.vxlanId in body should be greater than or equal to 1");
        }

        @Test
        void refusesMoreThan24Bits() {
            assertThat(create(CRD, MINIMAL.with("spec.vxlanId", 16777216))).containsExactly(
                    "spec.vxlanId: Invalid value: 16777216: spec.vxlanId in body should be less than or equal to 16777215");
        }

        @Test
        void acceptsAnIntegralNumberWrittenWithADecimalPointAsKubernetesDoes() {
            assertThat(create(CRD, MINIMAL.with("spec.vxlanId", 4096.0))).isEmpty();
            assertThat(update(CRD, MINIMAL.with("spec.vxlanId", 4096), MINIMAL.with("spec.vxlanId", 4096.0))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.vxlanId", 4096.5))).containsExactly(
                    "spec.vxlanId: Invalid value: \"number\": spec.vxlanId in body must be of type integer: \"number\"",
                    "<nil>: Invalid value: \"null\": some validation rules were not checked because the object was"
                            + " invalid; correct the existing errors to complete validation");
        }

        @Test
        void refusesAString() {
            assertThat(create(CRD, MINIMAL.with("spec.vxlanId", "4096"))).containsExactly(
                    "spec.vxlanId: Invalid value: \"string\": spec.vxlanId in body must be of type integer: \"string\"",
                    "<nil>: Invalid value: \"null\": some validation rules were not checked because the object was"
                            + " invalid; correct the existing errors to complete validation");
        }
    }

    @Nested
    class MtuRange {
        @ParameterizedTest
        @ValueSource(ints = {576, 1450, 9000})
        void accepts576To9000(int mtu) {
            assertThat(create(CRD, MINIMAL.with("spec.mtu", mtu))).isEmpty();
        }

        @Test
        void refusesBelow576() {
            assertThat(create(CRD, MINIMAL.with("spec.mtu", 575))).containsExactly(
                    "spec.mtu: Invalid value: 575: spec.mtu in body should be greater than or equal to 576");
        }

        @Test
        void refusesAbove9000() {
            assertThat(create(CRD, MINIMAL.with("spec.mtu", 9001))).containsExactly(
                    "spec.mtu: Invalid value: 9001: spec.mtu in body should be less than or equal to 9000");
        }
    }

    @Nested
    class Attachable {
        @ParameterizedTest
        @ValueSource(booleans = {true, false})
        void acceptsABoolean(boolean attachable) {
            assertThat(create(CRD, MINIMAL.with("spec.attachable", attachable))).isEmpty();
            assertThat(created(CRD, MINIMAL.with("spec.attachable", attachable)).at("/spec/attachable").booleanValue())
                    .isEqualTo(attachable);
        }

        @Test
        void isLeftOutWhenNotGivenSoOnlyTasksAttach() {
            assertThat(created(CRD, MINIMAL).at("/spec/attachable").isMissingNode()).isTrue();
        }

        @Test
        void refusesAString() {
            assertThat(create(CRD, MINIMAL.with("spec.attachable", "yes"))).first().isEqualTo(
                    "spec.attachable: Invalid value: \"string\": spec.attachable in body must be of type boolean: \"string\"");
        }

        @Test
        void mayBeSwitchedOnAndOffOnALiveNetwork() {
            // switching it off refuses pods that ask from then on; pods attached already keep their addresses
            assertThat(update(CRD, MINIMAL, MINIMAL.with("spec.attachable", true))).isEmpty();
            assertThat(update(CRD, MINIMAL.with("spec.attachable", true), MINIMAL.with("spec.attachable", false))).isEmpty();
        }
    }

    @Nested
    class ShareWith {
        private static Map<String, Object> selector(Object selector) {
            return Map.of("namespaceSelector", selector);
        }

        private static Map<String, Object> requirement(String key, String operator, List<String> values) {
            Map<String, Object> requirement = new LinkedHashMap<>();
            requirement.put("key", key);
            requirement.put("operator", operator);
            if (values != null) {
                requirement.put("values", values);
            }
            return requirement;
        }

        private static Map<String, Object> expressions(Object... requirements) {
            return Map.of("matchExpressions", List.of(requirements));
        }

        @Test
        void acceptsMatchLabelsMatchExpressionsAndTheEmptySelector() {
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(Map.of("matchLabels",
                    Map.of("swarmnet.io/proxy", "true", "kubernetes.io/metadata.name", "shop")))))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(
                    requirement("env", "In", List.of("prod", "stage")), requirement("team", "NotIn", List.of("x")),
                    requirement("swarmnet.io/proxy", "Exists", null), requirement("legacy", "DoesNotExist", null)))))).isEmpty();
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(Map.of())))).isEmpty();
        }

        @Test
        void isLeftOutWhenNotGivenSoOnlyTheOwnNamespaceAttaches() {
            assertThat(created(CRD, MINIMAL).at("/spec/shareWith").isMissingNode()).isTrue();
        }

        @Test
        void needsANamespaceSelector() {
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", Map.of()))).containsExactly(
                    "spec.shareWith.namespaceSelector: Required value", NOT_CHECKED);
        }

        @Test
        void refusesAnUnknownOperator() {
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("env", "Is", List.of("a")))))))
                    .containsExactly("spec.shareWith.namespaceSelector.matchExpressions[0].operator: Unsupported value: \"Is\": "
                            + "supported values: \"DoesNotExist\", \"Exists\", \"In\", \"NotIn\"", NOT_CHECKED);
        }

        @Test
        void refusesInWithoutValuesAndExistsWithValues() {
            String rule = "values must list at least one value for the operators In and NotIn, and must be left out for Exists "
                    + "and DoesNotExist";
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("env", "In", null))))))
                    .containsExactly("spec.shareWith.namespaceSelector.matchExpressions[0].values: Invalid value: \"object\": "
                            + rule);
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("env", "NotIn", List.of()))))))
                    .containsExactly("spec.shareWith.namespaceSelector.matchExpressions[0].values: Invalid value: \"object\": "
                            + rule);
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(
                    requirement("env", "Exists", List.of("prod")))))))
                    .containsExactly("spec.shareWith.namespaceSelector.matchExpressions[0].values: Invalid value: \"object\": "
                            + rule);
        }

        @Test
        void refusesAKeyOrValueThatIsNoLabel() {
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("no key", "Exists", null))))))
                    .first().asString().startsWith("spec.shareWith.namespaceSelector.matchExpressions[0].key: Invalid value: "
                            + "\"no key\": spec.shareWith.namespaceSelector.matchExpressions[0].key in body should match");
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("env", "In",
                    List.of("not valid")))))))
                    .first().asString().startsWith("spec.shareWith.namespaceSelector.matchExpressions[0].values[0]: Invalid "
                            + "value: \"not valid\"");
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(Map.of("matchLabels", Map.of("env", "-x"))))))
                    .first().asString().startsWith("spec.shareWith.namespaceSelector.matchLabels.env: Invalid value: \"-x\"");
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(Map.of("matchLabels", Map.of("env", "a".repeat(64)))))))
                    .first().asString().startsWith("spec.shareWith.namespaceSelector.matchLabels.env: Too long");
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("k".repeat(318), "Exists",
                    null)))))).first().asString().startsWith("spec.shareWith.namespaceSelector.matchExpressions[0].key: Too long");
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("", "Exists", null))))))
                    .first().asString().startsWith("spec.shareWith.namespaceSelector.matchExpressions[0].key: Invalid value: "
                            + "\"\": spec.shareWith.namespaceSelector.matchExpressions[0].key in body should be at least 1 chars long");
        }

        @Test
        void needsKeyAndOperatorInEachRequirement() {
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(Map.of("values", List.of("a")))))))
                    .contains("spec.shareWith.namespaceSelector.matchExpressions[0].key: Required value",
                            "spec.shareWith.namespaceSelector.matchExpressions[0].operator: Required value");
        }

        @Test
        void boundsTheSizeOfTheSelector() {
            Map<String, String> labels = new LinkedHashMap<>();
            for (int i = 0; i < 33; i++) {
                labels.put("l" + i, "v");
            }
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(Map.of("matchLabels", labels))))).first().asString()
                    .startsWith("spec.shareWith.namespaceSelector.matchLabels: Too many: 33: must have at most 32 items");
            List<Object> many = new ArrayList<>();
            for (int i = 0; i < 17; i++) {
                many.add(requirement("k" + i, "Exists", null));
            }
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(Map.of("matchExpressions", many))))).first().asString()
                    .startsWith("spec.shareWith.namespaceSelector.matchExpressions: Too many: 17: must have at most 16 items");
            List<String> values = new ArrayList<>();
            for (int i = 0; i < 65; i++) {
                values.add("v" + i);
            }
            assertThat(create(CRD, MINIMAL.with("spec.shareWith", selector(expressions(requirement("k", "In", values))))))
                    .first().asString().startsWith("spec.shareWith.namespaceSelector.matchExpressions[0].values: Too many: 65: "
                            + "must have at most 64 items");
        }

        @Test
        void mayChangeOnALiveNetwork() {
            // narrowing refuses new tasks of namespaces no longer selected; running ones stay (the operator's business)
            Manifest wide = MINIMAL.with("spec.shareWith", selector(Map.of()));
            Manifest narrow = MINIMAL.with("spec.shareWith", selector(Map.of("matchLabels", Map.of("swarmnet.io/proxy", "true"))));
            assertThat(update(CRD, wide, narrow)).isEmpty();
            assertThat(update(CRD, narrow, MINIMAL)).isEmpty();
            assertThat(update(CRD, MINIMAL, wide)).isEmpty();
        }
    }

    @Nested
    class Internal {
        @ParameterizedTest
        @ValueSource(booleans = {true, false})
        void acceptsABoolean(boolean internal) {
            assertThat(create(CRD, MINIMAL.with("spec.internal", internal))).isEmpty();
            assertThat(created(CRD, MINIMAL.with("spec.internal", internal)).at("/spec/internal").booleanValue()).isEqualTo(internal);
        }

        @Test
        void isLeftOutWhenNotGivenSoTheNetworkIsNotInternal() {
            assertThat(created(CRD, MINIMAL).at("/spec/internal").isMissingNode()).isTrue();
        }

        @Test
        void refusesAString() {
            assertThat(create(CRD, MINIMAL.with("spec.internal", "yes"))).first().isEqualTo(
                    "spec.internal: Invalid value: \"string\": spec.internal in body must be of type boolean: \"string\"");
        }

        @Test
        void mayBeSwitchedOnAndOffOnALiveNetworkUnlikeTheAddressingFields() {
            // the agents apply the change to running tasks in place, so the schema lets it through
            assertThat(update(CRD, FULL, FULL.with("spec.internal", false))).isEmpty();
            assertThat(update(CRD, FULL.with("spec.internal", false), FULL)).isEmpty();
            assertThat(update(CRD, MINIMAL, MINIMAL.with("spec.internal", true))).isEmpty();
        }
    }

    @Nested
    class Immutability {
        @Test
        void anUnchangedUpdateIsAccepted() {
            assertThat(update(CRD, FULL, FULL.with("spec.mtu", 1500))).isEmpty();
        }

        @Test
        void subnetCannotChange() {
            Manifest moved = FULL.with("spec.subnet", "10.0.8.0/23");
            assertThat(update(CRD, FULL, moved)).containsExactly(
                    "spec.subnet: Invalid value: \"string\": spec.subnet cannot be changed; create a new network instead");
        }

        @Test
        void gatewayCannotChange() {
            assertThat(update(CRD, FULL, FULL.with("spec.gateway", "10.0.9.254"))).containsExactly(
                    "spec.gateway: Invalid value: \"string\": spec.gateway cannot be changed; create a new network instead");
        }

        @Test
        void encryptedCannotChange() {
            assertThat(update(CRD, FULL, FULL.with("spec.encrypted", false))).containsExactly(
                    "spec.encrypted: Invalid value: \"boolean\": spec.encrypted cannot be changed; create a new network instead");
        }

        @Test
        void encryptedCannotBeSwitchedOnAfterItDefaultedToFalse() {
            Manifest stored = Manifest.load("overlaynetwork-minimal.yaml");
            assertThat(update(CRD, stored, stored.with("spec.encrypted", true))).containsExactly(
                    "spec.encrypted: Invalid value: \"boolean\": spec.encrypted cannot be changed; create a new network instead");
        }

        @Test
        void vxlanIdCannotChange() {
            assertThat(update(CRD, FULL, FULL.with("spec.vxlanId", 4098))).containsExactly(
                    "spec.vxlanId: Invalid value: \"integer\": spec.vxlanId cannot be changed; create a new network instead");
        }

        @Test
        void transitionRulesAreNotAppliedOnCreate() {
            // The same values that fail as changes are fine as a first version: no oldSelf, no rule.
            assertThat(create(CRD, FULL.with("spec.subnet", "10.0.8.0/23").with("spec.gateway", "10.0.8.1")
                    .with("spec.ipRange", "10.0.8.0/24").with("spec.vxlanId", 4098).with("spec.encrypted", false))).isEmpty();
        }

        @Test
        void aFieldAbsentBeforeMayBeSetOnUpdateAsInKubernetes() {
            // A transition rule runs only where the old object has a value (Kubernetes semantics).
            assertThat(update(CRD, MINIMAL, MINIMAL.with("spec.subnet", "10.0.9.0/24").with("spec.vxlanId", 4097))).isEmpty();
        }

        @Test
        void allChangedFieldsAreReportedTogether() {
            Manifest changed = FULL.with("spec.subnet", "10.0.8.0/24").with("spec.gateway", "10.0.8.1")
                    .with("spec.ipRange", "10.0.8.0/25").with("spec.vxlanId", 1).with("spec.encrypted", false);
            assertThat(update(CRD, FULL, changed)).hasSize(4).allMatch(m -> m.contains("cannot be changed"));
        }
    }

    @Nested
    class UnknownFields {
        @Test
        void aMisspelledFieldIsRefusedAsStrictFieldValidationDoes() {
            assertThat(create(CRD, MINIMAL.with("spec.subnets", "10.0.9.0/24"))).containsExactly("unknown field \"spec.subnets\"");
        }

        @Test
        void theRestIsStillDefaultedAndValidatedSoANonStrictCallerCanGoOn() {
            ObjectNode object = MINIMAL.with("spec.subnets", "x").with("spec.mtu", 100).json();
            assertThat(Admission.messages(CRD.admit(object, null))).containsExactly("unknown field \"spec.subnets\"",
                    "spec.mtu: Invalid value: 100: spec.mtu in body should be greater than or equal to 576");
            assertThat(object.at("/spec/encrypted").booleanValue()).isFalse();
            assertThat(object.at("/spec/subnets").textValue()).isEqualTo("x");
        }

        @Test
        void metadataApiVersionAndKindAreNotUnknown() {
            assertThat(create(CRD, MINIMAL.with("metadata.labels", java.util.Map.of("a", "b")))).isEmpty();
        }

        @Test
        void aMisspelledMetadataFieldIsUnknownToo() {
            assertThat(create(CRD, MINIMAL.with("metadata.label", java.util.Map.of("a", "b"))))
                    .containsExactly("unknown field \"metadata.label\"");
        }

        @Test
        void pruningRemovesThemForNonStrictRequests() {
            ObjectNode object = MINIMAL.with("spec.subnets", "x").with("extra", 1).json();
            assertThat(CRD.pruneUnknownFields(object)).containsExactly("spec.subnets", "extra");
            assertThat(CRD.admit(object, null)).isEmpty();
        }
    }

    @Test
    void metadataMustBeThere() {
        assertThat(create(CRD, MINIMAL.without("metadata"))).containsExactly("metadata: Required value");
    }
}
