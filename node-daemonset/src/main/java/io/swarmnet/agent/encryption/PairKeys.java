package io.swarmnet.agent.encryption;

import io.swarmnet.api.net.IpAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Derives the SA of one direction between two nodes from the cluster key, so both ends agree without
 * talking. Unlike Docker, which uses one key for every pair, every (generation, source, destination)
 * gets its own key: AES-GCM nonces (sequence numbers) restart with each SA, and a key shared by many
 * SAs would repeat nonces under one key.
 */
public final class PairKeys {

    private static final byte[] SALT = "swarmnet esp v1".getBytes(StandardCharsets.US_ASCII);

    private PairKeys() {
    }

    public static SecurityAssociation derive(ClusterKey key, IpAddress source, IpAddress destination) {
        byte[] material = hkdf(key, "key", source, destination, SecurityAssociation.KEY_AND_SALT_LENGTH);
        return new SecurityAssociation(source, destination, key.generation(), spi(key, source, destination), material);
    }

    /**
     * SPIs below 256 are reserved (RFC 4303); the top bit is cleared so SPIs print the same signed
     * or not. Both ends compute the same value; a collision between two SAs of one node would need
     * a 2^-30 coincidence and is checked by the plan.
     */
    static int spi(ClusterKey key, IpAddress source, IpAddress destination) {
        int spi = ByteBuffer.wrap(hkdf(key, "spi", source, destination, 4)).getInt() & 0x7FFF_FFFF;
        return spi < 256 ? spi + 256 : spi;
    }

    private static byte[] hkdf(ClusterKey key, String purpose, IpAddress source, IpAddress destination, int length) {
        ByteBuffer info = ByteBuffer.allocate(purpose.length() + 8 + 4 + 4);
        info.put(purpose.getBytes(StandardCharsets.US_ASCII)).putLong(key.generation()).put(source.bytes()).put(destination.bytes());
        HKDFBytesGenerator generator = new HKDFBytesGenerator(new SHA256Digest());
        generator.init(new HKDFParameters(key.material(), SALT, info.array()));
        byte[] out = new byte[length];
        generator.generateBytes(out, 0, length);
        return out;
    }
}
