package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A service's virtual IP on one network, as docker service inspect .Endpoint.VirtualIPs. */
public class VirtualIP {

    @JsonPropertyDescription("OverlayNetwork name; <namespace>/<name> for a network of another namespace.")
    private String network;
    @JsonPropertyDescription("The virtual IP (IPv4, without prefix length).")
    private String address;

    public VirtualIP() {
    }

    public VirtualIP(String network, String address) {
        this.network = network;
        this.address = address;
    }

    public String getNetwork() { return network; }
    public void setNetwork(String network) { this.network = network; }
    public String getAddress() { return address; }
    public void setAddress(String address) { this.address = address; }
}
