package io.swarmnet.agent.cluster;

/**
 * The Kubernetes object a problem or an event is about: enough to fill an Event's involvedObject.
 *
 * @param namespace null for cluster-scoped objects (Nodes)
 * @param uid       may be null when the object did not carry one (events still name it)
 */
public record ObjectRef(String apiVersion, String kind, String namespace, String name, String uid) {

    public static final String SWARMNET_API_VERSION = "swarmnet.io/v1alpha1";

    public static ObjectRef pod(String namespace, String name, String uid) {
        return new ObjectRef("v1", "Pod", namespace, name, uid);
    }

    public static ObjectRef node(String name, String uid) {
        return new ObjectRef("v1", "Node", null, name, uid);
    }

    public static ObjectRef network(String namespace, String name, String uid) {
        return new ObjectRef(SWARMNET_API_VERSION, "OverlayNetwork", namespace, name, uid);
    }

    public static ObjectRef service(String namespace, String name, String uid) {
        return new ObjectRef(SWARMNET_API_VERSION, "SwarmService", namespace, name, uid);
    }

    @Override
    public String toString() {
        return kind + " " + (namespace == null ? name : namespace + "/" + name);
    }
}
