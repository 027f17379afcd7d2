package io.swarmnet.agent.encryption.userspace;

import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A run of datagrams for the batching tests: {@code segments} datagrams of {@code segment} bytes and a shorter
 * last one, datagram i filled with byte i, so that order and boundaries both show in "fill x length" form.
 */
record Runs(int segment, int segments, int last) {

    int bytes() {
        return segments * segment + last;
    }

    /** Appends the run's bytes to {@code buffer}. */
    ByteBuffer fill(ByteBuffer buffer) {
        for (int i = 0; i <= segments; i++) {
            for (int j = 0; j < (i < segments ? segment : last); j++) {
                buffer.put((byte) i);
            }
        }
        return buffer;
    }

    List<String> expected() {
        List<String> datagrams = new ArrayList<>();
        for (int i = 0; i <= segments; i++) {
            datagrams.add(i + "x" + (i < segments ? segment : last));
        }
        return datagrams;
    }

    /** "fill x length" of the datagram between the buffer's position and limit, or where it stops being one fill. */
    static String describe(ByteBuffer datagram) {
        byte fill = datagram.get(datagram.position());
        for (int i = datagram.position(); i < datagram.limit(); i++) {
            if (datagram.get(i) != fill) {
                return "mixed content at " + i;
            }
        }
        return fill + "x" + datagram.remaining();
    }

    /** What a non-blocking {@code channel} receives within 5 s, up to the run's number of datagrams. */
    List<String> receive(DatagramChannel channel) throws Exception {
        List<String> datagrams = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.allocate(65_535);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (datagrams.size() <= segments && System.nanoTime() < deadline) {
            buffer.clear();
            if (channel.receive(buffer) == null) {
                Thread.sleep(5);
                continue;
            }
            datagrams.add(describe(buffer.flip()));
        }
        return datagrams;
    }
}
