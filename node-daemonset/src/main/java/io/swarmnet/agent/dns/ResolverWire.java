package io.swarmnet.agent.dns;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
    private static final String NAT = "nat";
    private static final String UNTRACKED = "untracked";

    private ResolverWire() {
    }

    /**
     * The agent's frame: written as it is read, without a JSON tree of its own first (with 10,000 tasks a node's name
     * table has 20,000 names, and the tree of a frame was several times the frame).
     */
    public static byte[] pods(Map<PodRef, PodResolver> pods) {
        return pods(pods, Optional.empty());
    }

    /**
     * As {@link #pods(Map)}, saying too how the pods' redirect of 127.0.0.11:53 is written: without NAT ({@code true},
     * VIPs balanced at the socket on this node) or with it. The agent knows (with {@code auto} it decides at its start);
     * the resolver process follows what the last frame said, or its own setting when a frame says nothing.
     */
    public static byte[] pods(Map<PodRef, PodResolver> pods, Optional<Boolean> untrackedRedirect) {
        return write(json -> {
            if (untrackedRedirect.isPresent()) {
                json.writeStringField("redirect", untrackedRedirect.get() ? UNTRACKED : NAT);
            }
            Map<NameTable, Integer> index = new HashMap<>();
            List<Map.Entry<PodRef, PodResolver>> sorted = new ArrayList<>(new TreeMap<>(pods).entrySet());
            json.writeArrayFieldStart("tables");
            for (Map.Entry<PodRef, PodResolver> e : sorted) {
                NameTable names = e.getValue().names();
                if (!index.containsKey(names)) {
                    index.put(names, index.size());
                    table(json, names);
                }
            }
            json.writeEndArray();
            json.writeArrayFieldStart("pods");
            for (Map.Entry<PodRef, PodResolver> e : sorted) {
                json.writeStartObject();
                pod(json, e.getKey());
                json.writeStringField("netns", e.getValue().networkNamespace().toString());
                json.writeNumberField("table", index.get(e.getValue().names()));
                if (e.getValue().keepOnly()) {
                    json.writeBooleanField("keepOnly", true);
                }
                json.writeEndObject();
            }
            json.writeEndArray();
        });
    }

    public static Map<PodRef, PodResolver> pods(byte[] frame) throws IOException {
        return frame(frame).pods();
    }

    /** An agent's frame read: its pods, and the redirect it asked for, if it said. */
    public record Frame(Map<PodRef, PodResolver> pods, Optional<Boolean> untrackedRedirect) {
    }

    public static Frame frame(byte[] frame) throws IOException {
        JsonNode root = JSON.readTree(frame);
        Optional<Boolean> untracked = Optional.empty();
        if (root.has("redirect")) {
            String redirect = root.path("redirect").asText();
            if (!redirect.equals(UNTRACKED) && !redirect.equals(NAT)) {
                throw new IOException("redirect '" + redirect + "' in the agent's frame: expected " + NAT + " or " + UNTRACKED);
            }
            untracked = Optional.of(redirect.equals(UNTRACKED));
        }
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
        return new Frame(pods, untracked);
    }

    public static byte[] failures(Map<PodRef, String> failures) {
        return write(json -> {
            json.writeArrayFieldStart("failures");
            for (Map.Entry<PodRef, String> f : new TreeMap<>(failures).entrySet()) {
                json.writeStartObject();
                pod(json, f.getKey());
                json.writeStringField("reason", f.getValue());
                json.writeEndObject();
            }
            json.writeEndArray();
        });
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

    private static void pod(JsonGenerator json, PodRef ref) throws IOException {
        json.writeStringField("namespace", ref.namespace());
        json.writeStringField("name", ref.name());
        json.writeStringField("uid", ref.uid());
    }

    private static PodRef podRef(JsonNode node) throws IOException {
        if (!node.path("namespace").isTextual() || !node.path("name").isTextual() || !node.path("uid").isTextual()) {
            throw new IOException("pod entry " + node + " lacks namespace, name or uid");
        }
        return new PodRef(node.path("namespace").asText(), node.path("name").asText(), node.path("uid").asText());
    }

    private static void table(JsonGenerator json, NameTable names) throws IOException {
        json.writeStartObject();
        json.writeObjectFieldStart("addresses");
        for (Map.Entry<String, List<IpAddress>> name : new TreeMap<>(names.addresses()).entrySet()) {
            json.writeArrayFieldStart(name.getKey());
            for (IpAddress ip : name.getValue()) {
                json.writeString(ip.toString());
            }
            json.writeEndArray();
        }
        json.writeEndObject();
        json.writeArrayFieldStart("rotating");
        for (String name : new TreeSet<>(names.rotating())) {
            json.writeString(name);
        }
        json.writeEndArray();
        json.writeObjectFieldStart("pointers");
        for (Map.Entry<String, String> pointer : new TreeMap<>(names.pointers()).entrySet()) {
            json.writeStringField(pointer.getKey(), pointer.getValue());
        }
        json.writeEndObject();
        json.writeObjectFieldStart("ttls");
        for (Map.Entry<String, Integer> ttl : new TreeMap<>(names.ttls()).entrySet()) {
            json.writeNumberField(ttl.getKey(), ttl.getValue());
        }
        json.writeEndObject();
        json.writeArrayFieldStart("searches");
        for (String search : names.searches()) {
            json.writeString(search);
        }
        json.writeEndArray();
        json.writeEndObject();
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

    /** What goes inside a frame's top-level object. */
    private interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private static byte[] write(Body body) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (JsonGenerator json = JSON.getFactory().createGenerator(bytes)) {
            json.writeStartObject();
            body.write(json);
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing a resolver frame: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }
}
