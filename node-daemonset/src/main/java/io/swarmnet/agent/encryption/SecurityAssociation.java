package io.swarmnet.agent.encryption;

import io.swarmnet.api.net.IpAddress;
import java.util.HexFormat;

/**
 * One ESP transport-mode SA (rfc4106 AES-GCM-128 with a 32-bit salt) from {@code source} to
 * {@code destination}. The key is only ever rendered into the command that programs the kernel,
 * never into logs: toString leaves it out.
 */
public record SecurityAssociation(IpAddress source, IpAddress destination, long generation, int spi, byte[] aeadKeyWithSalt) {

    /** AES-128 key plus the 4-byte salt, as rfc4106(gcm(aes)) takes them. */
    public static final int KEY_AND_SALT_LENGTH = 20;
    public static final int ICV_BITS = 128;

    public SecurityAssociation {
        aeadKeyWithSalt = aeadKeyWithSalt.clone();
    }

    /** The aead argument of {@code ip xfrm state}, which must not be written anywhere else. */
    String aeadArgument() {
        return "0x" + HexFormat.of().formatHex(aeadKeyWithSalt);
    }

    public String spiHex() {
        return String.format("0x%08x", spi);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecurityAssociation other && other.source.equals(source) && other.destination.equals(destination)
                && other.generation == generation && other.spi == spi && java.util.Arrays.equals(other.aeadKeyWithSalt, aeadKeyWithSalt);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(source, destination, generation, spi);
    }

    @Override
    public String toString() {
        return "SA[" + source + "->" + destination + " generation " + generation + " spi " + spiHex() + "]";
    }
}
