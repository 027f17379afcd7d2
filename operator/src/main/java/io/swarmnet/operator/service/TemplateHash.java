package io.swarmnet.operator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.List;
import java.util.TreeSet;

/**
 * The identity of what a task runs: the pod template plus the networks it attaches to (adding a
 * network, like {@code docker service update --network-add}, needs new tasks with an address on
 * it). Written to the {@code swarmnet.io/template-hash} label; a task whose label differs from the
 * service's current hash is outdated and gets rolled.
 */
public final class TemplateHash {

    /** Writes properties and map entries in one fixed order: equal objects are equal JSON. */
    static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private TemplateHash() {
    }

    public static String of(PodTemplateSpec template, List<String> networks) {
        try {
            // map entries and properties in a fixed order, so equal templates always hash alike
            String canonical = CANONICAL.writeValueAsString(template) + "\n" + new TreeSet<>(networks);
            return TaskSlot.sha256(canonical).substring(0, 10);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a pod template", e);
        }
    }
}
