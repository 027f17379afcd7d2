package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.swarmnet.api.contract.NetworkReference;
import java.util.ArrayList;
import java.util.List;

/**
 * One network a service's tasks attach to (docker service create --network name=...,alias=...): an OverlayNetwork of the
 * service's namespace, or, with {@code namespace}, one that another namespace shares with it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkAttachment {

    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    @JsonPropertyDescription("Name of the OverlayNetwork (a DNS-1123 label), in the service's namespace unless namespace is set.")
    @Required
    @Pattern(DNS_LABEL)
    @Size(min = 1, max = 63)
    private String name;

    @JsonPropertyDescription("Namespace of the OverlayNetwork, for a network of another namespace that shares it with this one "
            + "(the network's spec.shareWith.namespaceSelector must select the service's namespace). Left out: the service's own "
            + "namespace.")
    @Pattern(DNS_LABEL)
    @Size(min = 1, max = 63)
    private String namespace;

    @JsonPropertyDescription("Extra DNS names (DNS-1123 subdomains) under which the service is known on this network only.")
    @Size(max = 64)
    private List<@Pattern(DNS_SUBDOMAIN) @Size(min = 1, max = 253) String> aliases = new ArrayList<>();

    public NetworkAttachment() {
    }

    public NetworkAttachment(String name) {
        this.name = name;
    }

    public NetworkAttachment(String namespace, String name) {
        this.namespace = namespace;
        this.name = name;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getNamespace() { return namespace; }
    public void setNamespace(String namespace) { this.namespace = namespace; }
    public List<String> getAliases() { return aliases; }
    public void setAliases(List<String> aliases) { this.aliases = aliases; }

    /**
     * The network this entry names, for a service of {@code serviceNamespace}.
     *
     * @throws IllegalArgumentException when the name or namespace is not a DNS-1123 label (the schema refuses both)
     */
    public NetworkReference reference(String serviceNamespace) {
        return NetworkReference.of(namespace, name, serviceNamespace);
    }
}
