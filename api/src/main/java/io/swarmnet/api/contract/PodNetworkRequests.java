package io.swarmnet.api.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmnet.api.service.NetworkAttachment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The attachable networks a pod that is not a task asks to join: the value of {@link SwarmnetKeys#ANNOTATION_POD_NETWORKS},
 * shaped like Multus' {@code k8s.v1.cni.cncf.io/networks} so that it reads familiar. Two forms:
 * <ul>
 *   <li>a comma-separated list of names, {@code my-network} or {@code my-network, backend}; {@code <namespace>/<name>}
 *       names a network of another namespace that shares it with the pod's ({@code infra/proxy});</li>
 *   <li>a JSON list of objects, {@code [{"name":"my-network","aliases":["db"]}]}; fields {@code name} (required),
 *       {@code namespace} (the network's, when another namespace shares it) and {@code aliases} (extra DNS names of the pod
 *       on that network).</li>
 * </ul>
 * Multus' {@code name@interface} and its other JSON fields ({@code interface}, {@code ips}, {@code mac}, ...) are refused:
 * swarmnet names the interfaces ({@code swn0}, {@code swn1}, ... in the order given) and allocates the addresses.
 *
 * @param networks each network as the pod's namespace records it ({@link NetworkReference#relativeTo(String)}: its name, or
 *                 {@code <namespace>/<name>} for one shared in) → the pod's aliases on it, in the order asked (the interfaces
 *                 follow it)
 */
public record PodNetworkRequests(Map<String, List<String>> networks) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LABEL = Pattern.compile(NetworkAttachment.DNS_LABEL);
    private static final Pattern SUBDOMAIN = Pattern.compile(NetworkAttachment.DNS_SUBDOMAIN);
    private static final Set<String> FIELDS = Set.of("name", "namespace", "aliases");

    public PodNetworkRequests {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        networks.forEach((network, aliases) -> copy.put(network, List.copyOf(aliases)));
        networks = Collections.unmodifiableMap(copy);
    }

    /**
     * Parses the annotation of a pod in {@code podNamespace}.
     *
     * @throws IllegalArgumentException saying what is wrong and what to write instead; the message names the
     *                                  annotation but not the pod, which the caller adds
     */
    public static PodNetworkRequests parse(String annotation, String podNamespace) {
        String where = "annotation " + SwarmnetKeys.ANNOTATION_POD_NETWORKS;
        if (annotation == null || annotation.isBlank()) {
            throw new IllegalArgumentException(where + " names no network; write a network name, e.g. my-network, or "
                    + "[{\"name\":\"my-network\",\"aliases\":[\"db\"]}]");
        }
        String text = annotation.strip();
        Map<String, List<String>> networks = new LinkedHashMap<>();
        if (text.startsWith("[") || text.startsWith("{")) {
            JsonNode list;
            try {
                list = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(where + " is not valid JSON (" + e.getOriginalMessage()
                        + "); write a JSON list such as [{\"name\":\"my-network\",\"aliases\":[\"db\"]}] or a comma-separated list of names");
            }
            if (!list.isArray()) {
                throw new IllegalArgumentException(where + " must be a JSON list of objects, got " + list.getNodeType()
                        + "; write [{\"name\":\"my-network\"}] (brackets around the object)");
            }
            for (int i = 0; i < list.size(); i++) {
                entry(where + "[" + i + "]", list.get(i), podNamespace, networks);
            }
        } else {
            for (String item : text.split(",", -1)) {
                String name = item.strip();
                if (name.contains("@")) {
                    throw new IllegalArgumentException(where + ": '" + name + "' names an interface; swarmnet names them itself "
                            + "(swn0, swn1, ... in the order given), write the network name alone");
                }
                String namespace = null;
                int slash = name.indexOf('/');
                if (slash >= 0) {
                    namespace = name.substring(0, slash);
                    name = name.substring(slash + 1);
                }
                add(where, namespace, name, List.of(), podNamespace, networks);
            }
        }
        return new PodNetworkRequests(networks);
    }

    private static void entry(String where, JsonNode entry, String podNamespace, Map<String, List<String>> networks) {
        if (entry == null || !entry.isObject()) {
            throw new IllegalArgumentException(where + " must be an object such as {\"name\":\"my-network\"}");
        }
        for (Iterator<String> fields = entry.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + "." + field + " is not supported (only name, namespace and aliases are: "
                        + "swarmnet chooses the interface, its address and MAC); remove it");
            }
        }
        JsonNode name = entry.get("name");
        if (name == null || !name.isTextual()) {
            throw new IllegalArgumentException(where + ".name is missing; give the name of an attachable OverlayNetwork");
        }
        JsonNode namespace = entry.get("namespace");
        if (namespace != null && !namespace.isNull() && !namespace.isTextual()) {
            throw new IllegalArgumentException(where + ".namespace must be a string");
        }
        List<String> aliases = new ArrayList<>();
        JsonNode given = entry.get("aliases");
        if (given != null && !given.isNull()) {
            if (!given.isArray()) {
                throw new IllegalArgumentException(where + ".aliases must be a list of DNS names, e.g. [\"db\"]");
            }
            Set<String> seen = new HashSet<>();
            for (JsonNode alias : given) {
                String text = alias.isTextual() ? alias.asText() : alias.toString();
                if (!alias.isTextual() || text.length() > 253 || !SUBDOMAIN.matcher(text).matches()) {
                    throw new IllegalArgumentException(where + ".aliases: '" + text + "' is not a DNS name (lower-case letters, "
                            + "digits, '-' and '.', at most 253 characters); fix or remove it");
                }
                if (!seen.add(text)) {
                    throw new IllegalArgumentException(where + ".aliases lists '" + text + "' twice; list each alias once");
                }
                aliases.add(text);
            }
        }
        add(where, namespace == null || namespace.isNull() ? null : namespace.asText(), name.asText(), aliases, podNamespace,
                networks);
    }

    private static void add(String where, String namespace, String name, List<String> aliases, String podNamespace,
                            Map<String, List<String>> networks) {
        if (name.isEmpty() || name.length() > NetworkReference.MAX_NAME || !LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ": '" + name + "' is not an OverlayNetwork name (a DNS-1123 label: lower-case "
                    + "letters, digits and '-', at most 63 characters); write names separated by commas, e.g. my-network,backend");
        }
        if (namespace != null && !NetworkReference.isLabel(namespace)) {
            throw new IllegalArgumentException(where + ": '" + namespace + "' is not a namespace name (a DNS-1123 label); write "
                    + "<namespace>/<name>, e.g. infra/proxy, for a network another namespace shares with this one");
        }
        String key = NetworkReference.of(namespace, name, podNamespace).relativeTo(podNamespace);
        if (networks.containsKey(key)) {
            throw new IllegalArgumentException(where + " names network " + key + " twice; name each network once (put all its "
                    + "aliases in one entry)");
        }
        networks.put(key, aliases);
    }

    /** The networks asked for, in order, as references (namespace and name). */
    public List<NetworkReference> references(String podNamespace) {
        return networks.keySet().stream().map(key -> NetworkReference.parse(key, podNamespace)).toList();
    }

    /** The canonical JSON form, as the operator records what it acted on. */
    public String format() {
        List<Map<String, Object>> out = new ArrayList<>();
        networks.forEach((key, aliases) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            int slash = key.indexOf('/');
            entry.put("name", key.substring(slash + 1));
            if (slash >= 0) {
                entry.put("namespace", key.substring(0, slash));
            }
            if (!aliases.isEmpty()) {
                entry.put("aliases", aliases);
            }
            out.add(entry);
        });
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
