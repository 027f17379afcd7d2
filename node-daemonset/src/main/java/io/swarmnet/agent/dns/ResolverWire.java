package io.swarmnet.agent.dns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.IpAddress;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the agent and the resolver process say to each other over their Unix socket, and what the resolver process
 * keeps on disk to serve again after a restart. One exchange: the agent sends every pod to serve (its namespace and
 * names; pods that share a name table share one copy), the resolver answers with the pods it could not serve and
 * why. Frames are a 4-byte length, then that many bytes of JSON.
 */
public final class ResolverWire {

    /** A frame larger than this is refused: a bug or a stranger on the socket, not a node's pods. */
    static final int MAX_FRAME = 256 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResolverWire() {
    }

    public static byte[] pods(Map<PodRef, PodResolver> pods) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode tables = root.putArray("tables");
        ArrayNode list = root.putArray("pods");
        Map<NameTable, Integer> index = new HashMap<>();
        for (Map.Entry<PodRef, PodResolver> e : new TreeMap<>(pods).entrySet()) {
            NameTable names = e.getValue().names();
            Integer table = index.get(names);
            if (table == null) {
                table = index.size();
                index.put(names, table);
                tables.add(table(names));
            }
            ObjectNode pod = pod(e.getKey());
            pod.put("netns", e.getValue().networkNamespace().toString());
            pod.put("table", table);
            if (e.getValue().keepOnly()) {
                pod.put("keepOnly", true);
            }
            list.add(pod);
        }
        return bytes(root);
    }

    public static Map<PodRef, PodResolver> pods(byte[] frame) throws IOException {
        JsonNode root = JSON.readTree(frame);
        List<NameTable> tables = new ArrayList<>();
        for (JsonNode t : root.path("tables")) {
            tables.add(table(t));
        }
        Map<PodRef, PodResolver> pods = new LinkedHashMap<>();
        for (JsonNode p : root.path("pods")) {
            int table = p.path("table").asInt(-1);
            if (table < 0 || table >= tables.size() || !p.path("netns").isTextual()) {
                throw new IOException("pod entry " + p + " names no network namespace or an unknown name table");
            }
            pods.put(podRef(p), new PodResolver(Path.of(p.path("netns").asText()), tables.get(table), p.path("keepOnly").asBoolean(false)));
        }
        return pods;
    }

    public static byte[] failures(Map<PodRef, String> failures) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("failures");
        new TreeMap<>(failures).forEach((pod, why) -> list.add(pod(pod).put("reason", why)));
        return bytes(root);
    }

    public static Map<PodRef, String> failures(byte[] frame) throws IOException {
        Map<PodRef, String> failures = new LinkedHashMap<>();
        for (JsonNode f : JSON.readTree(frame).path("failures")) {
            failures.put(podRef(f), f.path("reason").asText());
        }
        return failures;
    }

    static void write(DataOutputStream out, byte[] frame) throws IOException {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    /** The same frame written to a blocking channel, holding on to nothing once written. */
    static void write(java.nio.channels.WritableByteChannel channel, byte[] frame) throws IOException {
        java.nio.ByteBuffer[] parts = {java.nio.ByteBuffer.allocate(4).putInt(0, frame.length), java.nio.ByteBuffer.wrap(frame)};
        for (java.nio.ByteBuffer part : parts) {
            while (part.hasRemaining()) {
                channel.write(part);
            }
        }
    }

    static byte[] read(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("a frame of " + length + " bytes on the resolver socket; at most " + MAX_FRAME + " are accepted");
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    private static ObjectNode pod(PodRef ref) {
        return JSON.createObjectNode().put("namespace", ref.namespace()).put("name", ref.name()).put("uid", ref.uid());
    }

    private static PodRef podRef(JsonNode node) throws IOException {
        if (!node.path("namespace").isTextual() || !node.path("name").isTextual() || !node.path("uid").isTextual()) {
            throw new IOException("pod entry " + node + " lacks namespace, name or uid");
        }
        return new PodRef(node.path("namespace").asText(), node.path("name").asText(), node.path("uid").asText());
    }

    private static ObjectNode table(NameTable names) {
        ObjectNode t = JSON.createObjectNode();
        ObjectNode addresses = t.putObject("addresses");
        new TreeMap<>(names.addresses()).forEach((name, list) -> {
            ArrayNode a = addresses.putArray(name);
            list.forEach(ip -> a.add(ip.toString()));
        });
        ArrayNode rotating = t.putArray("rotating");
        names.rotating().stream().sorted().forEach(rotating::add);
        ObjectNode pointers = t.putObject("pointers");
        new TreeMap<>(names.pointers()).forEach(pointers::put);
        ObjectNode ttls = t.putObject("ttls");
        new TreeMap<>(names.ttls()).forEach(ttls::put);
        ArrayNode searches = t.putArray("searches");
        names.searches().forEach(searches::add);
        return t;
    }

    private static NameTable table(JsonNode t) throws IOException {
        try {
            Map<String, List<IpAddress>> addresses = new HashMap<>();
            t.path("addresses").fields().forEachRemaining(e -> {
                List<IpAddress> list = new ArrayList<>();
                e.getValue().forEach(ip -> list.add(IpAddress.parse(ip.asText())));
                addresses.put(e.getKey(), List.copyOf(list));
            });
            Set<String> rotating = new HashSet<>();
            t.path("rotating").forEach(r -> rotating.add(r.asText()));
            Map<String, String> pointers = new HashMap<>();
            t.path("pointers").fields().forEachRemaining(e -> pointers.put(e.getKey(), e.getValue().asText()));
            Map<String, Integer> ttls = new HashMap<>();
            t.path("ttls").fields().forEachRemaining(e -> ttls.put(e.getKey(), e.getValue().asInt()));
            List<String> searches = new ArrayList<>();
            t.path("searches").forEach(s -> searches.add(s.asText()));
            return new NameTable(addresses, rotating, pointers, ttls, searches);
        } catch (IllegalArgumentException e) {
            throw new IOException("a name table with an unusable address: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ObjectNode root) {
        try {
            return JSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("writing a resolver frame: " + e.getMessage(), e);
        }
    }
}
