package io.swarmnet.operator.ipam;

/** No free address is left in a network's range: the caller reports AddressPoolExhausted and leaves running tasks alone. */
public final class AddressPoolExhaustedException extends Exception {

    private final AllocatableNetwork network;
    private final int inUse;

    public AddressPoolExhaustedException(AllocatableNetwork network, int inUse) {
        super("OverlayNetwork " + network + " has no free address: its range " + network.range()
                + " (subnet " + network.subnet() + ", gateway " + network.gateway() + ") has " + network.capacity()
                + " assignable addresses and " + inUse + " are in use by tasks and virtual IPs; create a network with a larger "
                + "spec.subnet or spec.ipRange (or reduce replicas) and attach the service to it");
        this.network = network;
        this.inUse = inUse;
    }

    public AllocatableNetwork network() {
        return network;
    }

    public int inUse() {
        return inUse;
    }
}
