package io.swarmnet.api.net;

/** A VXLAN network identifier (24 bits). Which ones are handed out automatically is the operator's configuration. */
public record Vni(int value) implements Comparable<Vni> {

    public static final int MIN = 1;
    public static final int MAX = 16_777_215;

    public Vni {
        if (value < MIN || value > MAX) {
            throw new IllegalArgumentException("VXLAN id " + value + " is outside " + MIN + ".." + MAX);
        }
    }

    @Override
    public int compareTo(Vni other) {
        return Integer.compare(value, other.value);
    }

    @Override
    public String toString() {
        return Integer.toString(value);
    }
}
