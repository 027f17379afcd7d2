package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.agent.encryption.ClusterKey;
import io.swarmnet.agent.encryption.PairKeys;
import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.api.net.IpAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class EspCodecTest {

    private static final IpAddress A = IpAddress.parse("192.0.2.1");
    private static final IpAddress B = IpAddress.parse("192.0.2.2");
    private final ClusterKey clusterKey = new ClusterKey(3, bytes(32, 7));
    private final SecurityAssociation aToB = PairKeys.derive(clusterKey, A, B);

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void sealedPacketsOpenToTheSamePayloadForEveryTrailerLength() throws Exception {
        EspCodec sender = new EspCodec(aToB);
        EspCodec receiver = new EspCodec(aToB);
        for (int length = 0; length < 12; length++) {
            byte[] payload = bytes(length + 40, length);
            byte[] packet = sender.seal(payload, 17, length + 1);
            assertThat((EspCodec.HEADER + EspCodec.IV + packet.length - EspCodec.HEADER - EspCodec.IV - EspCodec.ICV) % 4)
                    .as("payload + padding + 2 is a multiple of 4").isZero();
            EspCodec.Opened opened = receiver.open(packet, packet.length);
            assertThat(opened.payload()).isEqualTo(payload);
            assertThat(opened.nextHeader()).isEqualTo(17);
            assertThat(opened.sequence()).isEqualTo(length + 1);
        }
    }

    @Test
    void headerCarriesSpiSequenceAndACounterIv() {
        byte[] packet = new EspCodec(aToB).seal(new byte[] {1, 2, 3}, 17, 42);
        ByteBuffer header = ByteBuffer.wrap(packet);
        assertThat(header.getInt()).isEqualTo(aToB.spi());
        assertThat(header.getInt()).isEqualTo(42);
        assertThat(header.getLong()).as("IV = 64-bit packet counter, never repeated under one key").isEqualTo(42);
    }

    @Test
    void anIndependentGcmImplementationOpensOurPackets() throws Exception {
        // BouncyCastle's GCM, not the JDK's: same nonce (salt | IV), same AAD (SPI | sequence), same ICV
        byte[] payload = "a VXLAN datagram".getBytes();
        byte[] packet = new EspCodec(aToB).seal(payload, 17, 9);
        byte[] material = aToB.aeadKeyWithSalt();
        byte[] nonce = new byte[12];
        System.arraycopy(material, 16, nonce, 0, 4);
        System.arraycopy(packet, 8, nonce, 4, 8);
        GCMBlockCipher gcm = (GCMBlockCipher) GCMBlockCipher.newInstance(AESEngine.newInstance());
        gcm.init(false, new AEADParameters(new KeyParameter(material, 0, 16), 128, nonce, Arrays.copyOfRange(packet, 0, 8)));
        byte[] plain = new byte[gcm.getOutputSize(packet.length - 16)];
        int n = gcm.processBytes(packet, 16, packet.length - 16, plain, 0);
        n += gcm.doFinal(plain, n);
        assertThat(Arrays.copyOf(plain, payload.length)).isEqualTo(payload);
        assertThat(plain[n - 1]).as("next header").isEqualTo((byte) 17);
        assertThat(plain[n - 2]).as("pad length").isEqualTo((byte) (n - 2 - payload.length));
    }

    @Test
    void everyTamperedByteIsRefused() {
        EspCodec codec = new EspCodec(aToB);
        byte[] packet = codec.seal(bytes(64, 1), 17, 5);
        for (int i = 0; i < packet.length; i++) {
            byte[] tampered = packet.clone();
            tampered[i] ^= 0x01;
            int at = i;
            assertThatThrownBy(() -> codec.open(tampered, tampered.length)).as("flip at byte %d", at).isInstanceOf(EspException.class);
        }
    }

    @Test
    void packetsOfAnotherSaOrDirectionAreRefused() {
        byte[] packet = new EspCodec(aToB).seal(bytes(20, 2), 17, 1);
        SecurityAssociation bToA = PairKeys.derive(clusterKey, B, A);
        assertThatThrownBy(() -> new EspCodec(bToA).open(packet, packet.length)).isInstanceOf(EspException.class);
        // same SPI but a key of another generation: authentication fails
        SecurityAssociation forged = new SecurityAssociation(A, B, 4, aToB.spi(), bytes(20, 99));
        assertThatThrownBy(() -> new EspCodec(forged).open(packet, packet.length)).hasMessageContaining("failed authentication");
    }

    @Test
    void truncatedPacketsAreRefusedWithoutDecrypting() {
        byte[] packet = new EspCodec(aToB).seal(bytes(20, 3), 17, 1);
        assertThatThrownBy(() -> new EspCodec(aToB).open(packet, 20)).hasMessageContaining("shorter");
    }

    @Test
    void sequenceZeroAndOverflowAreNeverSent() {
        EspCodec codec = new EspCodec(aToB);
        assertThatThrownBy(() -> codec.seal(new byte[4], 17, 0)).hasMessageContaining("rekeyed");
        assertThatThrownBy(() -> codec.seal(new byte[4], 17, 1L << 32)).hasMessageContaining("rekeyed");
    }
}
