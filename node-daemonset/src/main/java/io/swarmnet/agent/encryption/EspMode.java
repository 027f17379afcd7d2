package io.swarmnet.agent.encryption;

import io.swarmnet.agent.encryption.userspace.EspTunnel;
import io.swarmnet.api.contract.NodeNetworkState.EncryptionMode;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One of the two ways a node puts ESP-in-UDP on the wire ({@link KernelEsp}, {@link UserspaceEsp}). The
 * {@link EncryptionDatapath} runs the round, marks what must be encrypted and drops what arrives other than through
 * the mode's ESP; a mode keeps the marked packets from going anywhere but through its ESP, and removes what the
 * other mode may have left behind.
 */
interface EspMode extends AutoCloseable {

    EncryptionMode mode();

    /** The nft condition that holds for VXLAN that did not arrive through this mode's ESP (and is therefore dropped). */
    String notThroughEsp();

    /** The nft chains, after the marking and the inbound chain, that this mode needs for VXLAN of {@code vnis}. */
    List<String> moreChains(Set<Integer> vnis);

    /** Adds what a plan with encrypted networks needs, keeping everything already there; why it failed, or null. */
    String add(EncryptionPlan plan);

    /**
     * The {@code ip -batch} lines that remove what the plan no longer needs, of this mode and of the other one; stops
     * at once what runs in the agent itself and is no longer needed.
     */
    List<String> removals(EncryptionPlan plan);

    /** The key generations whose outbound SAs in use have passed three quarters of their sequence numbers. */
    Set<Long> generationsNearLimit(EncryptionPlan plan);

    /** The userspace datapath while it runs. */
    default Optional<EspTunnel> tunnel() {
        return Optional.empty();
    }

    /** Stops what runs in the agent; what is programmed in the kernel stays (fail closed). */
    @Override
    void close();
}
