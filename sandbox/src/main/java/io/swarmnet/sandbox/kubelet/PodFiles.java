package io.swarmnet.sandbox.kubelet;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The files a kubelet gives every container: /etc/resolv.conf from the pod's dnsPolicy and dnsConfig,
 * and /etc/hosts naming the pod. {@code ip netns exec} bind-mounts /etc/netns/NAME/* over /etc/*, which
 * is how processes in the pod's namespace see them.
 */
public final class PodFiles {

    private PodFiles() {
    }

    /**
     * resolv.conf as the kubelet writes it: with dnsPolicy None only dnsConfig counts; otherwise the host's
     * resolver settings come first and dnsConfig adds to them (the sandbox has no cluster DNS service).
     */
    public static String resolvConf(Pod pod, String hostResolvConf) {
        String policy = pod.getSpec().getDnsPolicy() == null ? "ClusterFirst" : pod.getSpec().getDnsPolicy();
        Set<String> nameservers = new LinkedHashSet<>();
        Set<String> searches = new LinkedHashSet<>();
        List<String> options = new ArrayList<>();
        if (!policy.equals("None")) {
            for (String line : hostResolvConf.split("\n")) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].equals("nameserver")) {
                    nameservers.add(words[1]);
                } else if (words.length >= 2 && (words[0].equals("search") || words[0].equals("domain"))) {
                    searches.addAll(List.of(words).subList(1, words.length));
                }
            }
        }
        PodDNSConfig config = pod.getSpec().getDnsConfig();
        if (config != null) {
            if (config.getNameservers() != null) {
                nameservers.addAll(config.getNameservers());
            }
            if (config.getSearches() != null) {
                searches.addAll(config.getSearches());
            }
            if (config.getOptions() != null) {
                for (PodDNSConfigOption option : config.getOptions()) {
                    options.add(option.getValue() == null ? option.getName() : option.getName() + ":" + option.getValue());
                }
            }
        }
        StringBuilder out = new StringBuilder("# written by the swarmnet sandbox for pod ")
                .append(pod.getMetadata().getNamespace()).append('/').append(pod.getMetadata().getName()).append('\n');
        // the resolver reads at most three nameservers, as the kubelet warns
        nameservers.stream().limit(3).forEach(ns -> out.append("nameserver ").append(ns).append('\n'));
        if (!searches.isEmpty()) {
            out.append("search ").append(String.join(" ", searches)).append('\n');
        }
        if (!options.isEmpty()) {
            out.append("options ").append(String.join(" ", options)).append('\n');
        }
        return out.toString();
    }

    public static String hosts(Pod pod, String podIp) {
        StringBuilder out = new StringBuilder("# written by the swarmnet sandbox\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        if (podIp != null) {
            out.append(podIp).append('\t').append(pod.getMetadata().getName()).append('\n');
        }
        return out.toString();
    }
}
