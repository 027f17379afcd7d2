package io.swarmnet.api.service;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A task's endpoint on one network (docker network inspect's IPv4Address and MacAddress). */
public class TaskAddress {

    @JsonPropertyDescription("OverlayNetwork name; <namespace>/<name> for a network of another namespace.")
    private String network;
    @JsonPropertyDescription("IPv4 address with the network's prefix length, e.g. 10.0.9.3/24.")
    private String address;
    @JsonPropertyDescription("MAC address, derived from the IPv4 address as Docker does (02:42 + the four address bytes).")
    private String mac;

    public TaskAddress() {
    }

    public TaskAddress(String network, String address, String mac) {
        this.network = network;
        this.address = address;
        this.mac = mac;
    }

    public String getNetwork() { return network; }
    public void setNetwork(String network) { this.network = network; }
    public String getAddress() { return address; }
    public void setAddress(String address) { this.address = address; }
    public String getMac() { return mac; }
    public void setMac(String mac) { this.mac = mac; }
}
