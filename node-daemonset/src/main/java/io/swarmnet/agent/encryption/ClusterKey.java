package io.swarmnet.agent.encryption;

import java.util.Arrays;

/**
 * One generation of the cluster's encryption key, as the operator writes it into the key Secret.
 * The bytes never leave this object except into key derivation: toString shows the generation only.
 */
public final class ClusterKey {

    public static final int LENGTH = 32;
    private final long generation;
    private final byte[] material;

    public ClusterKey(long generation, byte[] material) {
        if (material.length != LENGTH) {
            throw new IllegalArgumentException("key generation " + generation + " has " + material.length
                    + " bytes; the key Secret must hold " + LENGTH + " random bytes per generation");
        }
        this.generation = generation;
        this.material = material.clone();
    }

    public long generation() {
        return generation;
    }

    byte[] material() {
        return material.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterKey other && other.generation == generation && Arrays.equals(other.material, material);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(generation);
    }

    @Override
    public String toString() {
        return "ClusterKey[generation=" + generation + "]";
    }
}
