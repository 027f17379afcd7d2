package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.api.net.IpAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * CPU per packet of the userspace ESP cipher work on one thread, in the JVM that runs it (run it under another with
 * surefire's {@code -Djvm=.../bin/java}; docs/benchmarks.md, "Userspace ESP"): {@link EspCodec}'s seal and open as
 * the seal and open threads call them (byte array or direct buffer in, direct buffer out) for a full-size datagram
 * of an encrypted overlay on a 1500-byte underlay, then the AES-GCM calls they make without the codec's copies,
 * the same calls on direct buffers (why the codec copies), the fixed cost of one packet (init, AAD, tag), and
 * large buffers, where a JVM's AES-GCM intrinsic shows its bulk speed. Knob: {@code -Dswarmnet.bench.seconds} per
 * figure (3), after as long again of warm-up.
 */
@Tag("benchmark")
class EspCodecBenchmark {

    /** The VXLAN datagram of a full-size packet on an encrypted network over a 1500-byte underlay (inner MTU 1404). */
    private static final int DATAGRAM = 1404 + 14 + 8 + 8;
    private static final int PACKETS = 1024;
    private static final double SECONDS = Double.parseDouble(System.getProperty("swarmnet.bench.seconds", "3"));
    private static final int AAD = EspCodec.HEADER;

    private interface PerPacket {
        void run(int i) throws Exception;
    }

    private static volatile long sink;

    /** Median nanoseconds per call over five slices of {@link #SECONDS}, after as long of warm-up; prints it. */
    private static double measure(String what, int bytes, PerPacket op) throws Exception {
        int i = 0;
        for (long end = System.nanoTime() + (long) (SECONDS * 1e9); System.nanoTime() < end; ) {
            for (int k = 0; k < 1000; k++) {
                op.run(++i);
            }
        }
        double[] slices = new double[5];
        for (int s = 0; s < slices.length; s++) {
            long calls = 0;
            long start = System.nanoTime();
            long end = start + (long) (SECONDS * 1e9 / slices.length);
            long now;
            do {
                for (int k = 0; k < 1000; k++) {
                    op.run(++i);
                }
                calls += 1000;
            } while ((now = System.nanoTime()) < end);
            slices[s] = (now - start) / (double) calls;
        }
        Arrays.sort(slices);
        double median = slices[slices.length / 2];
        System.out.printf(Locale.ROOT, "%-58s %6d B %8.1f ns %6.2f GB/s   (slices %.1f..%.1f)%n", what, bytes, median,
                bytes / median, slices[0], slices[slices.length - 1]);
        assertThat(median).isPositive();
        return median;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Sets bytes 4..11 of the 12-byte nonce to the packet counter, as the codec does with salt | IV. */
    private static GCMParameterSpec nonce(byte[] nonce, long counter) {
        ByteBuffer.wrap(nonce).putLong(4, counter);
        return new GCMParameterSpec(EspCodec.ICV * 8, nonce);
    }

    @Test
    void nanosecondsPerPacket() throws Exception {
        System.out.printf(Locale.ROOT, "JVM %s (%s), datagram %d bytes%n", System.getProperty("java.vm.version"),
                System.getProperty("java.home"), DATAGRAM);
        byte[] material = random(20, 1);
        SecurityAssociation sa = new SecurityAssociation(IpAddress.parse("192.0.2.1"), IpAddress.parse("192.0.2.2"), 1, 0x5eed, material);
        byte[] datagram = random(DATAGRAM + EspCodec.MAX_TRAILER, 2);
        int sealedLength = EspCodec.sealedLength(DATAGRAM);

        // the codec as EspSealer and EspOpener call it
        EspCodec sealer = new EspCodec(sa);
        ByteBuffer batch = ByteBuffer.allocateDirect(sealedLength);
        double seal = measure("EspCodec.seal(byte[] -> direct), as the seal thread", DATAGRAM, i -> {
            batch.clear();
            sealer.seal(datagram, DATAGRAM, 17, i & 0x7FFF_FFFF, batch);
        });
        ByteBuffer received = ByteBuffer.allocateDirect(PACKETS * sealedLength);
        EspCodec source = new EspCodec(sa);
        for (int k = 0; k < PACKETS; k++) {
            source.seal(datagram, DATAGRAM, 17, k + 1, received);
        }
        EspCodec opener = new EspCodec(sa);
        ByteBuffer opened = ByteBuffer.allocateDirect(sealedLength);
        double open = measure("EspCodec.open(direct -> direct), as the open thread", DATAGRAM, i -> {
            int k = i % PACKETS;
            received.limit((k + 1) * sealedLength).position(k * sealedLength);
            opened.clear();
            sink += opener.open(received, opened);
        });
        opened.flip();
        byte[] check = new byte[opened.remaining()];
        opened.get(check);
        assertThat(check).as("what the last open produced").isEqualTo(Arrays.copyOf(datagram, DATAGRAM));

        // the cipher calls alone: a fresh GCMParameterSpec and init per packet, 8 bytes of AAD, one doFinal
        SecretKeySpec key = new SecretKeySpec(material, 0, 16, "AES");
        Cipher encrypt = Cipher.getInstance("AES/GCM/NoPadding");
        Cipher decrypt = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] nonce = Arrays.copyOfRange(material, 4, 16);
        byte[] aad = new byte[AAD];
        int plain = DATAGRAM + 2;
        byte[] out = new byte[65_536 + EspCodec.ICV];
        double rawSeal = measure("AES-GCM encrypt, byte arrays", DATAGRAM, i -> {
            encrypt.init(Cipher.ENCRYPT_MODE, key, nonce(nonce, i));
            encrypt.updateAAD(aad);
            sink += encrypt.doFinal(datagram, 0, plain, out, 0);
        });
        byte[][] sealed = new byte[PACKETS][];
        byte[][] nonces = new byte[PACKETS][];
        for (int k = 0; k < PACKETS; k++) {
            nonces[k] = nonce.clone();
            encrypt.init(Cipher.ENCRYPT_MODE, key, nonce(nonces[k], -1 - k));
            encrypt.updateAAD(aad);
            sealed[k] = encrypt.doFinal(datagram, 0, plain);
        }
        double rawOpen = measure("AES-GCM decrypt, byte arrays", DATAGRAM, i -> {
            int k = i % PACKETS;
            decrypt.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(EspCodec.ICV * 8, nonces[k]));
            decrypt.updateAAD(aad);
            sink += decrypt.doFinal(sealed[k], 0, sealed[k].length, out, 0);
        });
        ByteBuffer directIn = ByteBuffer.allocateDirect(plain).put(datagram, 0, plain);
        ByteBuffer directOut = ByteBuffer.allocateDirect(plain + EspCodec.ICV);
        double directSeal = measure("AES-GCM encrypt, direct ByteBuffers", DATAGRAM, i -> {
            encrypt.init(Cipher.ENCRYPT_MODE, key, nonce(nonce, i));
            encrypt.updateAAD(aad);
            directIn.clear();
            directOut.clear();
            sink += encrypt.doFinal(directIn, directOut);
        });
        double fixed = measure("AES-GCM encrypt of nothing: init + AAD + tag", 0, i -> {
            encrypt.init(Cipher.ENCRYPT_MODE, key, nonce(nonce, i));
            encrypt.updateAAD(aad);
            sink += encrypt.doFinal(datagram, 0, 0, out, 0);
        });
        byte[] bulk = random(65_536, 3);
        double large = measure("AES-GCM encrypt, byte arrays, 64 KiB", bulk.length, i -> {
            encrypt.init(Cipher.ENCRYPT_MODE, key, nonce(nonce, i));
            encrypt.updateAAD(aad);
            sink += encrypt.doFinal(bulk, 0, bulk.length, out, 0);
        });
        System.out.printf(Locale.ROOT, "seal + open: %.0f ns per packet, of which the cipher calls %.0f ns; fixed cost per call %.0f ns "
                + "(%.0f %% of an encrypt); direct buffers / arrays %.2f; per byte at 64 KiB %.3f ns vs %.3f ns at %d B%n",
                seal + open, rawSeal + rawOpen, fixed, 100 * fixed / rawSeal, directSeal / rawSeal,
                large / bulk.length, rawSeal / DATAGRAM, DATAGRAM);
    }
}
