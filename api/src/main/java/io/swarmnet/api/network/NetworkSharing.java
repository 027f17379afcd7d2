package io.swarmnet.api.network;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** OverlayNetwork spec.shareWith: which other namespaces may attach to the network. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkSharing {

    @JsonPropertyDescription("Namespaces whose SwarmServices and attachable pods may attach, selected by their labels as a "
            + "Kubernetes label selector selects (matchLabels and matchExpressions, all of which must hold); {} selects every "
            + "namespace. The network's own namespace may always attach. Labelling namespaces is the cluster administrator's "
            + "right, so the owner of the network and the administrator both agree to each namespace that attaches.")
    @Required
    private NamespaceSelector namespaceSelector;

    public NetworkSharing() {
    }

    public NetworkSharing(NamespaceSelector namespaceSelector) {
        this.namespaceSelector = namespaceSelector;
    }

    public NamespaceSelector getNamespaceSelector() { return namespaceSelector; }
    public void setNamespaceSelector(NamespaceSelector namespaceSelector) { this.namespaceSelector = namespaceSelector; }
}
