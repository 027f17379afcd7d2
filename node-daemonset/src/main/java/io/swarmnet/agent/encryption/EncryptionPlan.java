package io.swarmnet.agent.encryption;

import io.swarmnet.agent.desired.NetworkDatapath;
import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.NodeDatapath;
import io.swarmnet.api.contract.KeyGenerations;
import io.swarmnet.api.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What this node's kernel must hold so that VXLAN of encrypted networks only ever leaves as ESP:
 * the VNIs to mark, a policy per peer (pinned to the primary generation's SA when there is a key),
 * and the SAs of every key generation in both directions. Pure: computed from the desired datapath
 * and the key ring.
 *
 * @param encryptedVnis VNIs of encrypted networks carried by this node
 * @param peers         per peer node address, the SPI outbound traffic must use (empty: no key yet, traffic blocked)
 * @param associations  SAs to install, both directions, every generation
 * @param networkPeers  per encrypted network, the peers it needs
 * @param keys          the key generations the plan was made from (empty: no key yet), for the agent to confirm once
 *                      the plan is programmed
 */
public record EncryptionPlan(IpAddress local, Set<Integer> encryptedVnis, Map<IpAddress, OptionalInt> peers,
        List<SecurityAssociation> associations, Map<NetworkKey, Set<IpAddress>> networkPeers, Optional<KeyGenerations> keys) {

    public EncryptionPlan {
        encryptedVnis = Set.copyOf(new TreeSet<>(encryptedVnis));
        peers = java.util.Collections.unmodifiableMap(new TreeMap<>(peers));
        associations = List.copyOf(associations);
        networkPeers = Map.copyOf(networkPeers);
    }

    public boolean isEmpty() {
        return encryptedVnis.isEmpty();
    }

    public static EncryptionPlan of(NodeDatapath desired, KeyRing keys) {
        IpAddress local = desired.node().underlayAddress();
        Set<Integer> vnis = new TreeSet<>();
        Map<NetworkKey, Set<IpAddress>> networkPeers = new TreeMap<>();
        Set<IpAddress> peers = new TreeSet<>();
        for (NetworkDatapath network : desired.networks()) {
            if (network.encrypted()) {
                vnis.add(network.vni().value());
                networkPeers.put(network.key(), Set.copyOf(network.peerVteps()));
                peers.addAll(network.peerVteps());
            }
        }
        Map<IpAddress, OptionalInt> outbound = new TreeMap<>();
        List<SecurityAssociation> associations = new ArrayList<>();
        Optional<ClusterKey> primary = keys.primaryKey();
        for (IpAddress peer : peers) {
            outbound.put(peer, primary.map(k -> OptionalInt.of(PairKeys.derive(k, local, peer).spi())).orElse(OptionalInt.empty()));
            for (ClusterKey key : keys.keys()) {
                associations.add(PairKeys.derive(key, local, peer));
                associations.add(PairKeys.derive(key, peer, local));
            }
        }
        return new EncryptionPlan(local, vnis, outbound, associations, networkPeers, keys.generations());
    }
}
