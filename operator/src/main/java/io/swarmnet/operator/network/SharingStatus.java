package io.swarmnet.operator.network;

import io.swarmnet.api.network.NamespaceSelector;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.Conditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The {@code Shared} condition of an OverlayNetwork: with whom {@code spec.shareWith} shares it, and whether services or pods
 * of namespaces it no longer selects still attach (their running tasks keep their addresses; the network's owner, who
 * cannot see into those namespaces, reads it here). Absent on a network that is not shared and has no one attached from
 * another namespace. Pure.
 */
public final class SharingStatus {

    public static final String CONDITION_SHARED = "Shared";
    public static final String REASON_SELECTED = "NamespacesSelected";
    public static final String REASON_ATTACHED_OUTSIDE = "AttachedOutsideSelector";
    public static final String REASON_INVALID = "InvalidShareWith";
    /** How many selected namespaces the message names. */
    static final int LISTED = 10;

    private SharingStatus() {
    }

    /**
     * One service or pod of another namespace that holds the network.
     *
     * @param namespace its namespace
     * @param what      how messages name it: {@code SwarmService shop/web}, {@code pod shop/client-0}
     */
    public record Attacher(String namespace, String what) {
    }

    /**
     * @param foreign         the services and pods of other namespaces attached to the network
     * @param namespaceLabels the labels of a namespace, if the operator sees it
     * @param selected        the namespaces (other than the network's) the selector selects now, sorted
     */
    public static Optional<Conditions.Desired> condition(OverlayNetwork network, List<Attacher> foreign,
                                                         Function<String, Optional<Map<String, String>>> namespaceLabels,
                                                         List<String> selected) {
        var spec = network.getSpec();
        NamespaceSelector selector = spec == null || spec.getShareWith() == null ? null : spec.getShareWith().getNamespaceSelector();
        if (selector == null && foreign.isEmpty()) {
            return Optional.empty();
        }
        if (selector != null) {
            Optional<String> malformed = selector.problem(NetworkAccess.SELECTOR_FIELD);
            if (malformed.isPresent()) {
                return Optional.of(new Conditions.Desired(CONDITION_SHARED, Conditions.FALSE, REASON_INVALID, malformed.get()
                        + "; the network is shared with no other namespace until that is fixed" + stillAttached(foreign)));
            }
        }
        List<String> outside = new ArrayList<>();
        TreeSet<String> outsideNamespaces = new TreeSet<>();
        for (Attacher attacher : foreign) {
            if (NetworkAccess.refusal(network, attacher.namespace(), namespaceLabels.apply(attacher.namespace())).isPresent()) {
                outside.add(attacher.what());
                outsideNamespaces.add(attacher.namespace());
            }
        }
        if (!outside.isEmpty()) {
            String who = String.join(", ", outside) + " of namespace" + (outsideNamespaces.size() == 1 ? " " : "s ")
                    + String.join(", ", outsideNamespaces);
            String message = selector == null
                    ? who + " still hold addresses on it, but the network is no longer shared (spec.shareWith is not set): the node "
                    + "agents have detached their tasks and pods from it and attach no new ones. Set spec.shareWith again to "
                    + "reattach them; their owners give the addresses back by removing the network from spec.networks (or from the "
                    + "pods' annotation swarmnet.io/networks)"
                    : who + " still attach, but " + NetworkAccess.SELECTOR_FIELD + " (" + selector.describe() + ") no longer admits "
                    + (outsideNamespaces.size() == 1 ? "it" : "them") + ": their running tasks and pods keep their addresses and "
                    + "stay attached, new ones are refused. Label the namespaces or widen the selector to admit them again; to cut "
                    + "them off at once, remove spec.shareWith (the node agents then detach every other namespace); their owners "
                    + "leave for good by removing the network from spec.networks (or from the pods' annotation swarmnet.io/networks)";
            return Optional.of(new Conditions.Desired(CONDITION_SHARED, Conditions.FALSE, REASON_ATTACHED_OUTSIDE, message));
        }
        String attached = foreign.isEmpty() ? "; nothing of another namespace is attached"
                : "; attached from other namespaces: " + String.join(", ", foreign.stream().map(Attacher::what).toList());
        String namespaces = selected.isEmpty() ? "no other namespace" : "namespaces "
                + String.join(", ", selected.subList(0, Math.min(selected.size(), LISTED)))
                + (selected.size() > LISTED ? ", ... (" + selected.size() + " in all)" : "");
        return Optional.of(new Conditions.Desired(CONDITION_SHARED, Conditions.TRUE, REASON_SELECTED, NetworkAccess.SELECTOR_FIELD + " ("
                + selector.describe() + ") selects " + namespaces + attached));
    }

    private static String stillAttached(List<Attacher> foreign) {
        return foreign.isEmpty() ? "" : "; " + String.join(", ", foreign.stream().map(Attacher::what).toList())
                + " still attach and keep their addresses, new ones are refused";
    }
}
