package io.swarmnet.sandboxapi.patch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PatchTest {

    private static JsonNode json(String text) {
        return Json.parse(text.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void mergePatchFollowsTheRfc7386Examples() {
        assertThat(MergePatch.apply(json("{'a':'b'}"), json("{'a':'c'}"))).isEqualTo(json("{'a':'c'}"));
        assertThat(MergePatch.apply(json("{'a':'b'}"), json("{'b':'c'}"))).isEqualTo(json("{'a':'b','b':'c'}"));
        assertThat(MergePatch.apply(json("{'a':'b'}"), json("{'a':null}"))).isEqualTo(json("{}"));
        assertThat(MergePatch.apply(json("{'a':'b','b':'c'}"), json("{'a':null}"))).isEqualTo(json("{'b':'c'}"));
        assertThat(MergePatch.apply(json("{'a':['b']}"), json("{'a':'c'}"))).isEqualTo(json("{'a':'c'}"));
        assertThat(MergePatch.apply(json("{'a':'c'}"), json("{'a':['b']}"))).isEqualTo(json("{'a':['b']}"));
        assertThat(MergePatch.apply(json("{'a':{'b':'c'}}"), json("{'a':{'b':'d','c':null}}"))).isEqualTo(json("{'a':{'b':'d'}}"));
        assertThat(MergePatch.apply(json("{'a':[{'b':'c'}]}"), json("{'a':[1]}"))).isEqualTo(json("{'a':[1]}"));
        assertThat(MergePatch.apply(json("['a','b']"), json("['c','d']"))).isEqualTo(json("['c','d']"));
        assertThat(MergePatch.apply(json("{'a':'b'}"), json("['c']"))).isEqualTo(json("['c']"));
        assertThat(MergePatch.apply(json("{'e':null}"), json("{'a':1}"))).isEqualTo(json("{'e':null,'a':1}"));
        assertThat(MergePatch.apply(json("[1,2]"), json("{'a':'b','c':null}"))).isEqualTo(json("{'a':'b'}"));
        assertThat(MergePatch.apply(json("{}"), json("{'a':{'bb':{'ccc':null}}}"))).isEqualTo(json("{'a':{'bb':{}}}"));
    }

    @Test
    void mergePatchReplacesAConditionListInsteadOfAppending() {
        JsonNode status = json("{'conditions':[{'type':'Ready','status':'False'},{'type':'Degraded','status':'True'}]}");
        assertThat(MergePatch.apply(status, json("{'conditions':[{'type':'Ready','status':'True'}]}")))
                .isEqualTo(json("{'conditions':[{'type':'Ready','status':'True'}]}"));
    }

    @Test
    void jsonPatchAppliesOperationsAndAFailedTestIsUnprocessable() {
        assertThat(JsonPatch.apply(json("{'a':[1,2]}"), json("[{'op':'add','path':'/a/-','value':3},{'op':'remove','path':'/a/0'}]")))
                .isEqualTo(json("{'a':[2,3]}"));
        assertThatThrownBy(() -> JsonPatch.apply(json("{'a':1}"), json("[{'op':'test','path':'/a','value':2}]")))
                .isInstanceOf(ApiError.class).satisfies(e -> assertThat(((ApiError) e).code()).isEqualTo(422));
    }

    @Test
    void strategicMergePatchMergesContainersByNameAndConditionsByType() {
        JsonNode pod = json("{'spec':{'containers':[{'name':'a','image':'x:1','env':[{'name':'E','value':'1'}]},{'name':'b','image':'y:1'}]},"
                + "'status':{'conditions':[{'type':'Ready','status':'False'},{'type':'PodScheduled','status':'True'}]}}");
        JsonNode patched = StrategicMergePatch.apply(pod, json("{'spec':{'containers':[{'name':'a','image':'x:2','env':[{'name':'F','value':'2'}]}]},"
                + "'status':{'conditions':[{'type':'Ready','status':'True'}]}}"));
        assertThat(patched.at("/spec/containers")).hasSize(2);
        assertThat(patched.at("/spec/containers/0/image").asText()).isEqualTo("x:2");
        assertThat(patched.at("/spec/containers/0/env")).hasSize(2);
        assertThat(patched.at("/status/conditions/0/status").asText()).isEqualTo("True");
        assertThat(patched.at("/status/conditions/1/type").asText()).isEqualTo("PodScheduled");
    }

    @Test
    void strategicMergePatchDirectivesDeleteReplaceAndPrimitiveLists() {
        JsonNode object = json("{'metadata':{'finalizers':['a','b']},'spec':{'containers':[{'name':'a'},{'name':'b'}],'tolerations':[{'key':'x'}],"
                + "'selector':{'k':'v','j':'w'}}}");
        JsonNode patched = StrategicMergePatch.apply(object, json("{'metadata':{'finalizers':['c'],'$deleteFromPrimitiveList/finalizers':['a']},"
                + "'spec':{'$setElementOrder/containers':[{'name':'b'}],'containers':[{'name':'a','$patch':'delete'}],"
                + "'tolerations':[{'key':'y'}],'selector':{'$patch':'replace','z':'1'}}}"));
        assertThat(patched.at("/metadata/finalizers")).isEqualTo(json("['b','c']"));
        assertThat(patched.at("/spec/containers")).isEqualTo(json("[{'name':'b'}]"));
        assertThat(patched.at("/spec/tolerations")).as("lists without a merge key are atomic").isEqualTo(json("[{'key':'y'}]"));
        assertThat(patched.at("/spec/selector")).isEqualTo(json("{'z':'1'}"));
    }
}
