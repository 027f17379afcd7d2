package io.swarmnet.sandboxapi.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PureHttpPartsTest {

    private static ObjectNode json(String text) {
        return (ObjectNode) Json.parse(text.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void resourcePathsAreTakenApart() {
        assertThat(ResourcePath.parse("/api/v1/namespaces/default/pods/web-1/status"))
                .contains(new ResourcePath("", "v1", "default", "pods", "web-1", "status"));
        assertThat(ResourcePath.parse("/apis/swarmnet.io/v1alpha1/swarmservices"))
                .contains(new ResourcePath("swarmnet.io", "v1alpha1", null, "swarmservices", null, null));
        assertThat(ResourcePath.parse("/api/v1/namespaces/team-a"))
                .contains(new ResourcePath("", "v1", null, "namespaces", "team-a", null));
        assertThat(ResourcePath.parse("/api/v1/namespaces/team-a/status"))
                .contains(new ResourcePath("", "v1", null, "namespaces", "team-a", "status"));
        assertThat(ResourcePath.parse("/apis/swarmnet.io/v1alpha1/namespaces/default/swarmservices/web/scale"))
                .contains(new ResourcePath("swarmnet.io", "v1alpha1", "default", "swarmservices", "web", "scale"));
        assertThat(ResourcePath.parse("/healthz")).isEqualTo(Optional.empty());
        assertThat(ResourcePath.parse("/api/v1/a/b/c/d")).isEmpty();
    }

    @Test
    void labelSelectorsSupportEqualitySetsAndExistence() {
        ObjectNode pod = json("{'metadata':{'labels':{'app':'web','tier':'front'}}}");
        assertThat(Selectors.labels("app=web,tier!=db").test(pod)).isTrue();
        assertThat(Selectors.labels("app==web").test(pod)).isTrue();
        assertThat(Selectors.labels("app in (web, api),tier notin (db)").test(pod)).isTrue();
        assertThat(Selectors.labels("app notin (web)").test(pod)).isFalse();
        assertThat(Selectors.labels("tier,!legacy").test(pod)).isTrue();
        assertThat(Selectors.labels("!app").test(pod)).isFalse();
        assertThat(Selectors.labels("missing!=x").test(pod)).isTrue();
        assertThatThrownBy(() -> Selectors.labels("app in web")).isInstanceOf(ApiError.class);
    }

    @Test
    void fieldSelectorsReadAnyFieldPath() {
        ObjectNode pod = json("{'metadata':{'name':'web-1','namespace':'default'},'spec':{'nodeName':'n2'}}");
        assertThat(Selectors.fields("spec.nodeName=n2,metadata.name=web-1").test(pod)).isTrue();
        assertThat(Selectors.fields("spec.nodeName!=n2").test(pod)).isFalse();
        assertThat(Selectors.fields("status.phase=").test(pod)).as("a missing field reads as empty").isTrue();
    }

    @Test
    void printerColumnJsonPathsFilterAndIndex() {
        JsonNode object = json("{'status':{'conditions':[{'type':'Degraded','status':'False'},{'type':'Ready','status':'True'}],"
                + "'vips':[{'address':'10.0.9.2'},{'address':'10.0.10.2'}]}}");
        assertThat(JsonPathExpression.parse(".status.conditions[?(@.type==\"Ready\")].status").evaluate(object))
                .extracting(JsonNode::asText).containsExactly("True");
        assertThat(JsonPathExpression.parse(".status.vips[*].address").evaluate(object))
                .extracting(JsonNode::asText).containsExactly("10.0.9.2", "10.0.10.2");
        assertThat(JsonPathExpression.parse(".status.vips[-1].address").evaluate(object))
                .extracting(JsonNode::asText).containsExactly("10.0.10.2");
        assertThat(JsonPathExpression.parse(".status.missing").evaluate(object)).isEmpty();
    }

    @Test
    void agesReadAsKubectlPrintsThem() {
        TableConverter tables = new TableConverter(Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC));
        assertThat(tables.age("2026-11-25T11:59:15Z")).isEqualTo("45s");
        assertThat(tables.age("2026-11-25T11:56:48Z")).isEqualTo("3m12s");
        assertThat(tables.age("2026-11-25T11:00:00Z")).isEqualTo("60m");
        assertThat(tables.age("2026-11-25T06:30:00Z")).isEqualTo("5h30m");
        assertThat(tables.age("2026-11-22T09:00:00Z")).isEqualTo("3d3h");
        assertThat(tables.age("")).isEqualTo("<unknown>");
    }
}
