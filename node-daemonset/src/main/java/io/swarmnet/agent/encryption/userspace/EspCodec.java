package io.swarmnet.agent.encryption.userspace;

import io.swarmnet.agent.encryption.SecurityAssociation;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ESP (RFC 4303) with AES-GCM-128 as RFC 4106 defines it, for one SA and one direction:
 * {@code SPI(4) | sequence(4) | IV(8) | AES-GCM(payload | padding | pad length | next header) | ICV(16)}.
 * The nonce is the SA's 4-byte salt followed by the 8-byte IV; the additional authenticated data is
 * SPI and sequence number (no extended sequence numbers). The IV is the 64-bit packet counter, so it
 * never repeats under one key; keys are per SA (see PairKeys), so no two senders share a nonce space.
 * The same bytes are what a kernel SA with {@code rfc4106(gcm(aes))} produces and accepts, carried in
 * UDP port 4500 as RFC 3948 describes.
 *
 * <p>Not thread-safe: one codec per SA and direction, used by one thread.
 */
public final class EspCodec {

    public static final int HEADER = 8;
    public static final int IV = 8;
    public static final int ICV = 16;
    private static final int KEY = 16;
    private static final int SALT = 4;

    private final int spi;
    private final byte[] salt;
    private final SecretKeySpec key;
    private final Cipher cipher;

    public EspCodec(SecurityAssociation sa) {
        byte[] material = sa.aeadKeyWithSalt();
        if (material.length != KEY + SALT) {
            throw new IllegalArgumentException(sa + ": rfc4106 AES-GCM-128 needs " + (KEY + SALT) + " bytes of key and salt");
        }
        this.spi = sa.spi();
        this.key = new SecretKeySpec(material, 0, KEY, "AES");
        this.salt = java.util.Arrays.copyOfRange(material, KEY, KEY + SALT);
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no AES/GCM", e);
        }
    }

    public int spi() {
        return spi;
    }

    /**
     * Encrypts {@code payload} (an upper-layer datagram; {@code nextHeader} is its IP protocol, 17 for UDP) as ESP
     * packet number {@code sequence} (1, 2, ...: the sender counts; 0 is never sent).
     */
    public byte[] seal(byte[] payload, int nextHeader, long sequence) {
        if (sequence <= 0 || sequence > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("ESP sequence " + sequence + " is outside 1..2^32-1; the SA must be rekeyed");
        }
        // trailer: pad so that payload + padding + 2 is a multiple of 4 (RFC 4303 section 2.4); padding bytes 1, 2, 3
        int padding = (4 - (payload.length + 2) % 4) % 4;
        byte[] plain = new byte[payload.length + padding + 2];
        System.arraycopy(payload, 0, plain, 0, payload.length);
        for (int i = 0; i < padding; i++) {
            plain[payload.length + i] = (byte) (i + 1);
        }
        plain[plain.length - 2] = (byte) padding;
        plain[plain.length - 1] = (byte) nextHeader;
        ByteBuffer packet = ByteBuffer.allocate(HEADER + IV + plain.length + ICV);
        packet.putInt(spi).putInt((int) sequence).putLong(sequence);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(ICV * 8, nonce(packet.array())));
            cipher.updateAAD(packet.array(), 0, HEADER);
            cipher.doFinal(plain, 0, plain.length, packet.array(), HEADER + IV);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed for SPI " + Integer.toHexString(spi), e);
        }
        return packet.array();
    }

    /** What an authenticated packet carried. */
    public record Opened(long sequence, int nextHeader, byte[] payload) {
    }

    /**
     * Authenticates and decrypts one ESP packet of this SA. Does not check for replays: the caller asks its
     * {@link ReplayWindow} before (cheap rejection) and records the sequence only after this succeeded.
     */
    public Opened open(byte[] packet, int length) throws EspException {
        if (length < HEADER + IV + 4 + ICV) {
            throw new EspException("ESP packet of " + length + " bytes is shorter than header, IV, trailer and ICV");
        }
        ByteBuffer in = ByteBuffer.wrap(packet, 0, length);
        int packetSpi = in.getInt();
        if (packetSpi != spi) {
            throw new EspException("ESP packet for SPI " + Integer.toHexString(packetSpi) + " reached the codec of SPI " + Integer.toHexString(spi));
        }
        long sequence = in.getInt() & 0xFFFF_FFFFL;
        byte[] plain;
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(ICV * 8, nonce(packet)));
            cipher.updateAAD(packet, 0, HEADER);
            plain = cipher.doFinal(packet, HEADER + IV, length - HEADER - IV);
        } catch (AEADBadTagException e) {
            throw new EspException("ESP packet " + sequence + " for SPI " + Integer.toHexString(spi) + " failed authentication");
        } catch (GeneralSecurityException e) {
            throw new EspException("ESP packet " + sequence + " for SPI " + Integer.toHexString(spi) + " cannot be decrypted: " + e.getMessage());
        }
        int padding = plain[plain.length - 2] & 0xFF;
        int payloadLength = plain.length - 2 - padding;
        if (payloadLength < 0) {
            throw new EspException("ESP packet " + sequence + " has a pad length larger than its content");
        }
        for (int i = 0; i < padding; i++) {
            if (plain[payloadLength + i] != (byte) (i + 1)) {
                throw new EspException("ESP packet " + sequence + " has malformed padding");
            }
        }
        return new Opened(sequence, plain[plain.length - 1] & 0xFF, java.util.Arrays.copyOf(plain, payloadLength));
    }

    /** Salt (from the key material) followed by the packet's 8-byte IV. */
    private byte[] nonce(byte[] packet) {
        byte[] nonce = new byte[SALT + IV];
        System.arraycopy(salt, 0, nonce, 0, SALT);
        System.arraycopy(packet, HEADER, nonce, SALT, IV);
        return nonce;
    }
}
