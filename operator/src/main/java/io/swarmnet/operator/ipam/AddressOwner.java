package io.swarmnet.operator.ipam;

import java.util.Objects;

/**
 * Who holds an address in the {@link AddressLedger}: a task pod, a pod that is no task but joined an
 * attachable network, or a service's virtual IPs, with that pod's or service's name. A task and a
 * service may share a name; as owners they never meet.
 *
 * <p>Owners live only in the operator's memory: the ledger is rebuilt from what the cluster records
 * (task and attached pods by their labels and {@code swarmnet.io/addresses} annotations, services by
 * {@code status.virtualIPs}). Their text ({@code task:<pod>}, {@code pod:<pod>}, {@code vip:<service>})
 * is what the logs show.
 */
public record AddressOwner(Kind kind, String name) {

    public enum Kind {
        /** A task pod's addresses. */
        TASK("task", "task pod"),
        /** The addresses of a pod that is no task, on attachable networks. */
        ATTACHED_POD("pod", "attached pod"),
        /** A service's virtual IPs, one per network. */
        VIRTUAL_IPS("vip", "service");

        private final String label;
        private final String holder;

        Kind(String label, String holder) {
            this.label = label;
            this.holder = holder;
        }
    }

    public AddressOwner {
        Objects.requireNonNull(kind, "kind");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an address owner needs the " + kind.holder + "'s name (metadata.name), got "
                    + (name == null ? "none" : "\"" + name + "\""));
        }
    }

    public static AddressOwner task(String podName) {
        return new AddressOwner(Kind.TASK, podName);
    }

    public static AddressOwner attachedPod(String podName) {
        return new AddressOwner(Kind.ATTACHED_POD, podName);
    }

    public static AddressOwner virtualIps(String serviceName) {
        return new AddressOwner(Kind.VIRTUAL_IPS, serviceName);
    }

    @Override
    public String toString() {
        return kind.label + ":" + name;
    }
}
