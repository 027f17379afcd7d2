package io.swarmnet.api.contract;

/**
 * The labels, annotations, condition types and finalizers through which the operator and the
 * node agents talk via the API server. One place, so a name is never derived twice.
 */
public final class SwarmnetKeys {

    public static final String GROUP = "swarmnet.io";

    /** Label on every task pod: the owning SwarmService's name. */
    public static final String LABEL_SERVICE = GROUP + "/service";
    /** Label on every task pod: the task slot (replicated) or the node name (global). */
    public static final String LABEL_SLOT = GROUP + "/slot";
    /** Label on every task pod: hash of the template it was created from, for rolling updates. */
    public static final String LABEL_TEMPLATE_HASH = GROUP + "/template-hash";

    /**
     * SwarmService annotation a user sets to roll the service back to its previous template, as
     * {@code docker service rollback}: any value the operator has not acted on yet (it records the
     * last one in status.handledRollback), e.g. the current time.
     */
    public static final String ANNOTATION_ROLLBACK = GROUP + "/rollback";

    /**
     * Pod annotation written by the operator before the pod is created: the task's IPv4 address on
     * each network, as JSON {@code {"my-network":"10.0.9.3"}}; a network another namespace shares with the pod's is keyed
     * {@code <namespace>/<name>} ({@link NetworkReference#relativeTo(String)}). See {@link TaskAddresses}.
     */
    public static final String ANNOTATION_ADDRESSES = GROUP + "/addresses";

    /**
     * Pod annotation a user writes on a pod that is not a task (a Deployment's, a StatefulSet's, a Job's): the attachable
     * networks it joins, as {@code docker network connect} does; see {@link PodNetworkRequests}. The same key as
     * {@link #ANNOTATION_NODE_NETWORKS}, on another kind.
     */
    public static final String ANNOTATION_POD_NETWORKS = GROUP + "/networks";

    /**
     * Pod annotation the operator writes on a pod of {@link #ANNOTATION_POD_NETWORKS} once it has given it addresses: the
     * networks and aliases it acted on, in the canonical JSON form of {@link PodNetworkRequests}. The node agent reads
     * this one, never the user's, so a later mistake in the user's annotation disturbs nothing already attached.
     */
    public static final String ANNOTATION_ATTACHED_NETWORKS = GROUP + "/attached-networks";

    /**
     * Label the operator puts on a pod of {@link #ANNOTATION_POD_NETWORKS} together with its addresses: the node agents
     * watch pods by label (tasks by {@link #LABEL_SERVICE}, these by this one), as no watch selects by annotation.
     */
    public static final String LABEL_ATTACHED_POD = GROUP + "/attached-pod";
    public static final String ATTACHED_POD = "true";

    /**
     * Node annotation written by that node's agent: its state for each network it carries,
     * as JSON; see {@link NodeNetworkStates}.
     */
    public static final String ANNOTATION_NODE_NETWORKS = GROUP + "/networks";

    /**
     * Node label set by the node's agent once it serves the node: task pods require it, so a task
     * never lands where nothing would attach it (a Windows node, a virtual kubelet, a node outside
     * the agent DaemonSet's nodeSelector).
     */
    public static final String LABEL_NODE_AGENT = GROUP + "/agent";
    public static final String NODE_AGENT_PRESENT = "true";
    /** The well-known node label the agent's and the tasks' placement share: the agent is a Linux program. */
    public static final String LABEL_NODE_OS = "kubernetes.io/os";

    /** Pod readiness gate (and the pod condition the node agent sets) meaning: attached to all its networks. */
    public static final String CONDITION_ATTACHED = GROUP + "/attached";

    /** Finalizer on OverlayNetworks so that a network in use is not removed. */
    public static final String FINALIZER_NETWORK = GROUP + "/network-in-use";

    /**
     * The Secret (in the operator's namespace) holding the cluster encryption keys: data
     * {@code key-<generation>} = 32 random bytes per generation, {@code primary} = the generation used
     * outbound. Written only by the operator, read only by node agents.
     */
    public static final String SECRET_ENCRYPTION_KEYS = "swarmnet-encryption-keys";
    public static final String KEY_SECRET_PRIMARY = "primary";
    public static final String KEY_SECRET_KEY_PREFIX = "key-";
    /** Annotations on that Secret recording where a rotation stands (see the operator's KeyRotation). */
    public static final String ANNOTATION_KEY_PHASE = GROUP + "/key-phase";
    public static final String ANNOTATION_KEY_PHASE_SINCE = GROUP + "/key-phase-since";
    /**
     * Node annotation written by that node's agent while an outbound SA of key generation N (the value, in decimal)
     * has used three quarters of its ESP sequence numbers; absent otherwise. The operator then rotates the key early.
     */
    public static final String ANNOTATION_KEY_NEAR_LIMIT = GROUP + "/key-near-limit";
    /**
     * Node annotation written by that node's agent once it has programmed the key Secret's current state: the
     * generations it accepts and the one it sends with (see {@link KeyGenerations}). A rotation promotes a new key only
     * once every agent accepts it, and retires the old one only once every agent sends with the new.
     */
    public static final String ANNOTATION_KEY_GENERATIONS = GROUP + "/key-generations";

    /** The DNS server address inside every attached pod, as in Docker. */
    public static final String EMBEDDED_DNS_ADDRESS = "127.0.0.11";

    private SwarmnetKeys() {
    }
}
