package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/**
 * A pod template the service ran or runs, with its hash (the tasks' swarmnet.io/template-hash
 * label): what docker service inspect shows as Spec and PreviousSpec, reduced to what a rollback needs.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TemplateRevision {

    @JsonPropertyDescription("Hash of the template and the networks, as on the tasks' swarmnet.io/template-hash label.")
    private String hash;
    // kept as it was written: a second full PodTemplateSpec schema would double the size of the CRD
    @JsonPropertyDescription("The pod template (a PodTemplateSpec).")
    @PreserveUnknownFields
    private JsonNode template;

    public TemplateRevision() {
    }

    public TemplateRevision(String hash, JsonNode template) {
        this.hash = hash;
        this.template = template;
    }

    public String getHash() { return hash; }
    public void setHash(String hash) { this.hash = hash; }
    public JsonNode getTemplate() { return template; }
    public void setTemplate(JsonNode template) { this.template = template; }
}
