package io.swarmnet.agent.encryption;

import io.swarmnet.api.contract.KeyGenerations;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The keys an agent may use: every generation in the Secret is accepted inbound; the primary one is
 * used outbound. Rotation is hitless because the operator adds a generation (accepted everywhere),
 * then makes it primary (used outbound), then removes the old one.
 *
 * <p>Secret layout (data, base64 as usual): {@code key-<generation>} = 32 random bytes for each
 * generation, {@code primary} = the generation used outbound, in decimal.
 */
public record KeyRing(List<ClusterKey> keys, long primary) {

    public static final String PRIMARY = io.swarmnet.api.contract.SwarmnetKeys.KEY_SECRET_PRIMARY;
    public static final String KEY_PREFIX = io.swarmnet.api.contract.SwarmnetKeys.KEY_SECRET_KEY_PREFIX;
    public static final KeyRing NONE = new KeyRing(List.of(), -1);

    public KeyRing {
        keys = List.copyOf(keys);
    }

    /** Reads a Secret's data; throws naming the entry at fault (never its value). */
    public static KeyRing fromSecretData(Map<String, String> data) {
        if (data == null || data.isEmpty()) {
            return NONE;
        }
        TreeMap<Long, ClusterKey> keys = new TreeMap<>();
        for (Map.Entry<String, String> entry : data.entrySet()) {
            if (!entry.getKey().startsWith(KEY_PREFIX)) {
                continue;
            }
            long generation;
            try {
                generation = Long.parseLong(entry.getKey().substring(KEY_PREFIX.length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("key Secret entry '" + entry.getKey() + "' is not key-<generation number>");
            }
            keys.put(generation, new ClusterKey(generation, Base64.getDecoder().decode(entry.getValue())));
        }
        String primary = data.get(PRIMARY);
        if (primary == null) {
            throw new IllegalArgumentException("key Secret has no '" + PRIMARY + "' entry naming the outbound generation");
        }
        long primaryGeneration = Long.parseLong(new String(Base64.getDecoder().decode(primary), java.nio.charset.StandardCharsets.US_ASCII).trim());
        if (!keys.containsKey(primaryGeneration)) {
            throw new IllegalArgumentException("key Secret's primary generation " + primaryGeneration + " has no key-" + primaryGeneration + " entry");
        }
        return new KeyRing(List.copyOf(keys.values()), primaryGeneration);
    }

    public Optional<ClusterKey> primaryKey() {
        return keys.stream().filter(k -> k.generation() == primary).findFirst();
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** The generations only, as the agent confirms them on its Node; empty without keys. */
    public Optional<KeyGenerations> generations() {
        return isEmpty() ? Optional.empty() : Optional.of(new KeyGenerations(keys.stream().map(ClusterKey::generation).toList(), primary));
    }
}
