package io.swarmnet.sandboxapi.schema;

/** Validators for the real generated CRDs in crds/, built once for all tests. */
final class Crds {

    static final CrdValidator OVERLAY_NETWORK = CrdValidator.forCrd(CrdFiles.read("overlaynetworks.swarmnet.io.yaml"));
    static final CrdValidator SWARM_SERVICE = CrdValidator.forCrd(CrdFiles.read("swarmservices.swarmnet.io.yaml"));

    private Crds() {
    }
}
