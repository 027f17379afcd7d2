package io.swarmnet.api.contract;

import io.swarmnet.api.service.NetworkAttachment;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An OverlayNetwork as a SwarmService or a pod names it: by name for a network of its own namespace, as
 * {@code <namespace>/<name>} for a network another namespace shares with it (the network's {@code spec.shareWith}).
 * <p>
 * {@link #relativeTo(String)} is the one spelling every record of an attachment uses — the keys of
 * {@link SwarmnetKeys#ANNOTATION_ADDRESSES}, {@code status.virtualIPs[].network}, {@code status.tasks[].addresses[].network}
 * and {@code status.networkNames} — so a network of the object's own namespace reads as it always did ({@code proxy})
 * and one of another namespace carries its namespace ({@code infra/proxy}); {@link #parse(String, String)} reads either
 * back.
 *
 * @param namespace the network's namespace
 * @param name      the network's name
 */
public record NetworkReference(String namespace, String name) implements Comparable<NetworkReference> {

    private static final Pattern LABEL = Pattern.compile(NetworkAttachment.DNS_LABEL);
    /** Longest namespace or network name: both are DNS-1123 labels. */
    public static final int MAX_NAME = 63;

    public NetworkReference {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /**
     * Reads a network as an object of {@code ownNamespace} records it: {@code proxy} (its own namespace) or
     * {@code infra/proxy}.
     *
     * @throws IllegalArgumentException naming what is wrong, for anything else
     */
    public static NetworkReference parse(String text, String ownNamespace) {
        Objects.requireNonNull(ownNamespace, "ownNamespace");
        if (text == null) {
            throw new IllegalArgumentException("no network named; write a name, e.g. proxy, or <namespace>/<name>, e.g. infra/proxy");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return of(null, text, ownNamespace);
        }
        if (text.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("'" + text + "' has more than one '/'; write a network name, e.g. proxy, or "
                    + "<namespace>/<name>, e.g. infra/proxy");
        }
        return of(text.substring(0, slash), text.substring(slash + 1), ownNamespace);
    }

    /**
     * The network named {@code name} in {@code namespace}, or in {@code ownNamespace} when {@code namespace} is null.
     *
     * @throws IllegalArgumentException when either is not a DNS-1123 label
     */
    public static NetworkReference of(String namespace, String name, String ownNamespace) {
        String in = namespace == null ? ownNamespace : namespace;
        if (!isLabel(in)) {
            throw new IllegalArgumentException("'" + in + "' is not a namespace name (a DNS-1123 label: lower-case letters, digits "
                    + "and '-', at most " + MAX_NAME + " characters)");
        }
        if (!isLabel(name)) {
            throw new IllegalArgumentException("'" + name + "' is not an OverlayNetwork name (a DNS-1123 label: lower-case letters, "
                    + "digits and '-', at most " + MAX_NAME + " characters)");
        }
        return new NetworkReference(in, name);
    }

    /** True for a DNS-1123 label: what namespaces and OverlayNetworks are named. */
    public static boolean isLabel(String text) {
        return text != null && !text.isEmpty() && text.length() <= MAX_NAME && LABEL.matcher(text).matches();
    }

    /** The network as an object of {@code ownNamespace} records it: its name, or {@code <namespace>/<name>} when shared in. */
    public String relativeTo(String ownNamespace) {
        return namespace.equals(ownNamespace) ? name : toString();
    }

    /** True when the network belongs to another namespace than {@code ownNamespace}: it must be shared with that one. */
    public boolean isForeignTo(String ownNamespace) {
        return !namespace.equals(ownNamespace);
    }

    @Override
    public int compareTo(NetworkReference other) {
        int byNamespace = namespace.compareTo(other.namespace);
        return byNamespace != 0 ? byNamespace : name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
