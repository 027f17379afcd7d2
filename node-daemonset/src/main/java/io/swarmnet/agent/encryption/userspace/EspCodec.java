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
    private final SecretKeySpec key;
    private final Cipher cipher;
    /** Reused per packet (one thread per codec): the AAD, and the nonce whose first 4 bytes are the salt. */
    private final byte[] header = new byte[HEADER];
    private final byte[] nonce = new byte[SALT + IV];
    /** Per-packet work arrays, grown to the largest packet seen. */
    private byte[] firstScratch = new byte[2048];
    private byte[] secondScratch = new byte[2048];

    public EspCodec(SecurityAssociation sa) {
        byte[] material = sa.aeadKeyWithSalt();
        if (material.length != KEY + SALT) {
            throw new IllegalArgumentException(sa + ": rfc4106 AES-GCM-128 needs " + (KEY + SALT) + " bytes of key and salt");
        }
        this.spi = sa.spi();
        this.key = new SecretKeySpec(material, 0, KEY, "AES");
        System.arraycopy(material, KEY, nonce, 0, SALT);
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no AES/GCM", e);
        }
    }

    public int spi() {
        return spi;
    }

    /** The largest trailer {@link #seal(ByteBuffer, int, long, ByteBuffer)} appends: 3 bytes of padding, pad length, next header. */
    public static final int MAX_TRAILER = 5;

    /** The length of the ESP packet that sealing a {@code payload}-byte datagram produces. */
    public static int sealedLength(int payload) {
        return HEADER + IV + payload + padding(payload) + 2 + ICV;
    }

    /** Padding so that payload, padding, pad length and next header fill whole 4-byte words (RFC 4303 section 2.4). */
    private static int padding(int payload) {
        return (4 - (payload + 2) % 4) % 4;
    }

    /**
     * Encrypts {@code payload} (an upper-layer datagram; {@code nextHeader} is its IP protocol, 17 for UDP) as ESP
     * packet number {@code sequence} (1, 2, ...: the sender counts; 0 is never sent).
     */
    public byte[] seal(byte[] payload, int nextHeader, long sequence) {
        ByteBuffer out = ByteBuffer.allocate(sealedLength(payload.length));
        seal(ByteBuffer.wrap(payload), nextHeader, sequence, out);
        return out.array();
    }

    /**
     * Encrypts the datagram between {@code payload}'s position and limit into {@code out} at its position, which
     * advances by the ESP packet's length; {@code payload}'s position moves to its limit.
     */
    public void seal(ByteBuffer payload, int nextHeader, long sequence, ByteBuffer out) {
        int length = payload.remaining();
        byte[] datagram = scratchIn(length + MAX_TRAILER);
        payload.get(payload.position(), datagram, 0, length);
        payload.position(payload.limit());
        seal(datagram, length, nextHeader, sequence, out);
    }

    /**
     * Encrypts the first {@code length} bytes of {@code datagram} into {@code out} at its position, which advances by
     * the ESP packet's length. The trailer is appended in place, so {@code datagram} must have {@link #MAX_TRAILER}
     * bytes of room after them.
     */
    public void seal(byte[] datagram, int length, int nextHeader, long sequence, ByteBuffer out) {
        if (sequence <= 0 || sequence > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("ESP sequence " + sequence + " is outside 1..2^32-1; the SA must be rekeyed");
        }
        // trailer: padding bytes 1, 2, 3..., pad length, next header
        int padding = padding(length);
        for (int i = 0; i < padding; i++) {
            datagram[length + i] = (byte) (i + 1);
        }
        datagram[length + padding] = (byte) padding;
        datagram[length + padding + 1] = (byte) nextHeader;
        int plainLength = length + padding + 2;
        int start = out.position();
        out.putInt(spi).putInt((int) sequence).putLong(sequence);
        header[0] = (byte) (spi >>> 24);
        header[1] = (byte) (spi >>> 16);
        header[2] = (byte) (spi >>> 8);
        header[3] = (byte) spi;
        header[4] = (byte) (sequence >>> 24);
        header[5] = (byte) (sequence >>> 16);
        header[6] = (byte) (sequence >>> 8);
        header[7] = (byte) sequence;
        out.get(start + HEADER, nonce, SALT, IV);
        // through byte arrays: the JDK's AES-CTR and GHASH intrinsics serve arrays only (direct buffers take a
        // plain-Java GHASH), which the copies cost far less than; into the array behind a heap buffer directly
        boolean inPlace = out.hasArray() && out.remaining() >= plainLength + ICV;
        byte[] sealed = inPlace ? out.array() : scratchOut(plainLength + ICV);
        int at = inPlace ? out.arrayOffset() + out.position() : 0;
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(ICV * 8, nonce));
            cipher.updateAAD(header);
            int produced = cipher.doFinal(datagram, 0, plainLength, sealed, at);
            if (inPlace) {
                out.position(out.position() + produced);
            } else {
                out.put(sealed, 0, produced);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed for SPI " + Integer.toHexString(spi), e);
        }
    }

    private byte[] scratchIn(int length) {
        if (firstScratch.length < length) {
            firstScratch = new byte[length];
        }
        return firstScratch;
    }

    private byte[] scratchOut(int length) {
        if (secondScratch.length < length) {
            secondScratch = new byte[length];
        }
        return secondScratch;
    }

    /** What an authenticated packet carried. */
    public record Opened(long sequence, int nextHeader, byte[] payload) {
    }

    /**
     * Authenticates and decrypts one ESP packet of this SA. Does not check for replays: the caller asks its
     * {@link ReplayWindow} before (cheap rejection) and records the sequence only after this succeeded.
     */
    public Opened open(byte[] packet, int length) throws EspException {
        ByteBuffer out = ByteBuffer.allocate(Math.max(0, length));
        int nextHeader = open(ByteBuffer.wrap(packet, 0, length), out);
        return new Opened(sequence(ByteBuffer.wrap(packet, 0, length)), nextHeader, java.util.Arrays.copyOf(out.array(), out.position()));
    }

    /** The sequence number in the header of the ESP packet at {@code packet}'s position. */
    public static long sequence(ByteBuffer packet) {
        return packet.getInt(packet.position() + 4) & 0xFFFF_FFFFL;
    }

    /** The SPI in the header of the ESP packet at {@code packet}'s position. */
    public static int spi(ByteBuffer packet) {
        return packet.getInt(packet.position());
    }

    /**
     * Authenticates and decrypts the ESP packet between {@code packet}'s position and limit into {@code out} at
     * its position, which then stands after the payload (padding and trailer removed). Returns the next header.
     * Nothing from a packet that fails authentication is left for the caller to use.
     */
    public int open(ByteBuffer packet, ByteBuffer out) throws EspException {
        int start = packet.position();
        int length = packet.remaining();
        if (length < HEADER + IV + 4 + ICV) {
            throw new EspException("ESP packet of " + length + " bytes is shorter than header, IV, trailer and ICV");
        }
        int packetSpi = packet.getInt(start);
        if (packetSpi != spi) {
            throw new EspException("ESP packet for SPI " + Integer.toHexString(packetSpi) + " reached the codec of SPI " + Integer.toHexString(spi));
        }
        long sequence = sequence(packet);
        packet.get(start, header, 0, HEADER);
        packet.get(start + HEADER, nonce, SALT, IV);
        int plainStart = out.position();
        int sealedLength = length - HEADER - IV;
        // from the array behind a heap buffer directly, else through a copy (see seal)
        byte[] sealed = packet.hasArray() ? packet.array() : scratchIn(sealedLength);
        int from = packet.hasArray() ? packet.arrayOffset() + start + HEADER + IV : 0;
        if (!packet.hasArray()) {
            packet.get(start + HEADER + IV, sealed, 0, sealedLength);
        }
        byte[] plain = scratchOut(sealedLength);
        packet.position(start + length);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(ICV * 8, nonce));
            cipher.updateAAD(header);
            int produced = cipher.doFinal(sealed, from, sealedLength, plain, 0);
            out.put(plain, 0, produced); // authenticated: only now does anything reach the caller's buffer
        } catch (AEADBadTagException e) {
            out.position(plainStart);
            throw new EspException("ESP packet " + sequence + " for SPI " + Integer.toHexString(spi) + " failed authentication");
        } catch (GeneralSecurityException e) {
            out.position(plainStart);
            throw new EspException("ESP packet " + sequence + " for SPI " + Integer.toHexString(spi) + " cannot be decrypted: " + e.getMessage());
        }
        int plainEnd = out.position();
        int padding = out.get(plainEnd - 2) & 0xFF;
        int payloadEnd = plainEnd - 2 - padding;
        if (payloadEnd < plainStart) {
            out.position(plainStart);
            throw new EspException("ESP packet " + sequence + " has a pad length larger than its content");
        }
        for (int i = 0; i < padding; i++) {
            if (out.get(payloadEnd + i) != (byte) (i + 1)) {
                out.position(plainStart);
                throw new EspException("ESP packet " + sequence + " has malformed padding");
            }
        }
        int nextHeader = out.get(plainEnd - 1) & 0xFF;
        out.position(payloadEnd);
        return nextHeader;
    }

}
