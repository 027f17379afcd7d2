package io.swarmnet.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.datapath.KernelTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** tcpdump on a simulated node's underlay port, writing a pcap file the test then filters or reads. */
final class UnderlayCapture implements AutoCloseable {

    private final Process process;
    private final Path pcap;

    private UnderlayCapture(Process process, Path pcap) {
        this.process = process;
        this.pcap = pcap;
    }

    /** Starts capturing what {@code filter} matches on {@code device}; returns once tcpdump listens. */
    static UnderlayCapture start(String device, Path pcap, String filter) throws IOException {
        Path log = Path.of(pcap + ".log");
        // immediate mode: without it libpcap hands packets over in blocks, and the last block is lost on SIGTERM
        Process process = new ProcessBuilder("tcpdump", "-i", device, "-n", "-U", "--immediate-mode", "-w", pcap.toString(), filter)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        UnderlayCapture capture = new UnderlayCapture(process, pcap);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && !Files.readString(log).contains("listening on")) {
            if (!process.isAlive()) {
                throw new IllegalStateException("tcpdump on " + device + " exited: " + Files.readString(log));
            }
            AgentCluster.sleep(20);
        }
        return capture;
    }

    /** Stops tcpdump (SIGTERM: it flushes and closes the file); the pcap can then be read. */
    Path stop() throws InterruptedException {
        AgentCluster.sleep(200);
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        return pcap;
    }

    /** Packets of the stopped capture that {@code filter} matches. */
    int count(String filter) {
        return lines(filter).size();
    }

    /** tcpdump's one-line summaries of the packets of the stopped capture that {@code filter} matches. */
    List<String> lines(String filter) {
        KernelTools.Result read = new KernelTools().run(List.of("tcpdump", "-n", "-r", pcap.toString(), filter), null);
        assertThat(read.exitCode()).as("tcpdump -r %s: %s", pcap, read.stderr()).isZero();
        return read.stdout().lines().filter(l -> !l.isBlank()).toList();
    }

    /** UDP payloads of the stopped capture's IPv4 packets on Ethernet, in order. */
    List<byte[]> udpPayloads(int destinationPort) throws IOException {
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(pcap));
        file.order(file.getInt(0) == 0xa1b2c3d4 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        List<byte[]> payloads = new ArrayList<>();
        int at = 24;
        while (at + 16 <= file.limit()) {
            int captured = file.getInt(at + 8);
            int frame = at + 16;
            at = frame + captured;
            ByteBuffer packet = ByteBuffer.wrap(file.array(), frame, captured).slice();
            if (captured < 14 + 20 + 8 || packet.getShort(12) != 0x0800 || packet.get(14 + 9) != 17) {
                continue;
            }
            int ip = 14;
            int udp = ip + (packet.get(ip) & 0x0F) * 4;
            if ((packet.getShort(udp + 2) & 0xFFFF) != destinationPort) {
                continue;
            }
            int length = (packet.getShort(udp + 4) & 0xFFFF) - 8;
            byte[] payload = new byte[length];
            packet.get(udp + 8, payload);
            payloads.add(payload);
        }
        return payloads;
    }

    /** Whether the capture's bytes contain {@code marker} anywhere (a plaintext leak would). */
    boolean contains(byte[] marker) throws IOException {
        byte[] bytes = Files.readAllBytes(pcap);
        outer:
        for (int i = 0; i + marker.length <= bytes.length; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (bytes[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
