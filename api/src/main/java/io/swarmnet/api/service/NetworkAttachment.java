package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** One network a service's tasks attach to (docker service create --network name=...,alias=...). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkAttachment {

    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    @JsonPropertyDescription("Name of an OverlayNetwork in the same namespace (a DNS-1123 label).")
    @Required
    @Pattern(DNS_LABEL)
    @Size(min = 1, max = 63)
    private String name;

    @JsonPropertyDescription("Extra DNS names (DNS-1123 subdomains) under which the service is known on this network only.")
    @Size(max = 64)
    private List<@Pattern(DNS_SUBDOMAIN) @Size(min = 1, max = 253) String> aliases = new ArrayList<>();

    public NetworkAttachment() {
    }

    public NetworkAttachment(String name) {
        this.name = name;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public List<String> getAliases() { return aliases; }
    public void setAliases(List<String> aliases) { this.aliases = aliases; }
}
