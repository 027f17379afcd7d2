package io.swarmnet.agent.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * An upstream resolver for tests, on 127.0.0.1 in the test's own namespace: it knows a few record sets, answers
 * NXDOMAIN for any other name, ignores EDNS as a conservative server does (so truncates every UDP answer over 512
 * bytes), and remembers every question it was asked, and over which transport.
 */
final class TruncatingUpstream implements AutoCloseable {

    /** What it does with a TCP connection. */
    enum Tcp {
        ANSWERS,
        /** Nothing listens on the TCP port: the connection is refused. */
        REFUSES,
        /** Accepts and reads, never answers. */
        IGNORES
    }

    /** One question as upstream saw it. */
    record Asked(String transport, String name) {
    }

    private static final int UDP_LIMIT = 512;
    private final Map<String, List<Record>> zone;
    private final Tcp tcp;
    private final DatagramSocket udpSocket;
    private final ServerSocket tcpSocket;
    private final List<Asked> asked = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    /** Questions (name and type) whose first UDP datagram was dropped, when dropping is on. */
    private final java.util.Set<String> droppedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean dropFirstUdpCopy;

    /** {@code zone}: absolute names ("forty.example.") and their records. */
    TruncatingUpstream(Map<String, List<Record>> zone, Tcp tcp) throws IOException {
        this.zone = zone;
        this.tcp = tcp;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
        ServerSocket listener = null;
        // both transports on one port, as resolvers serve them; a port whose TCP side is taken is passed over
        for (int attempt = 1; tcp != Tcp.REFUSES && listener == null; attempt++) {
            try {
                listener = new ServerSocket(udp.getLocalPort(), 16, loopback);
            } catch (BindException e) {
                udp.close();
                if (attempt == 10) {
                    throw e;
                }
                udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
            }
        }
        this.udpSocket = udp;
        this.tcpSocket = listener;
        start("udp", this::serveUdp);
        if (tcpSocket != null) {
            start("tcp", this::acceptTcp);
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), udpSocket.getLocalPort());
    }

    List<Asked> asked() {
        return List.copyOf(asked);
    }

    void forget() {
        asked.clear();
    }

    /** From now on the first UDP datagram of every question is lost, as on a busy network; copies sent again are answered. */
    void dropFirstUdpCopyOfEachQuestion() {
        dropFirstUdpCopy = true;
    }

    private void start(String transport, ThrowingRunnable body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } catch (IOException e) {
                // closed: the test is over
            }
        }, "upstream-" + transport);
        thread.setDaemon(true);
        thread.start();
    }

    private interface ThrowingRunnable {
        void run() throws IOException;
    }

    private void serveUdp() throws IOException {
        byte[] buffer = new byte[65_535];
        while (!udpSocket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            udpSocket.receive(packet);
            if (dropFirstUdpCopy) {
                org.xbill.DNS.Record question = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength())).getQuestion();
                if (droppedOnce.add(question.getName() + "/" + question.getType())) {
                    asked.add(new Asked("udp-lost", question.getName().toString()));
                    continue;
                }
            }
            byte[] reply = answer(java.util.Arrays.copyOf(packet.getData(), packet.getLength()), "udp");
            if (reply.length > UDP_LIMIT) {
                Message truncated = new Message(reply);
                truncated.removeAllRecords(Section.ANSWER);
                truncated.getHeader().setFlag(Flags.TC);
                reply = truncated.toWire();
            }
            udpSocket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
        }
    }

    private void acceptTcp() throws IOException {
        while (!tcpSocket.isClosed()) {
            Socket connection = tcpSocket.accept();
            accepted.add(connection);
            start("tcp-connection", () -> serveTcp(connection));
        }
    }

    private void serveTcp(Socket connection) throws IOException {
        DataInputStream in = new DataInputStream(connection.getInputStream());
        DataOutputStream out = new DataOutputStream(connection.getOutputStream());
        while (true) {
            byte[] query = new byte[in.readUnsignedShort()];
            in.readFully(query);
            byte[] reply = answer(query, "tcp");
            if (tcp == Tcp.ANSWERS) {
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            }
        }
    }

    private byte[] answer(byte[] wire, String transport) throws IOException {
        Message query = new Message(wire);
        String name = query.getQuestion().getName().toString();
        asked.add(new Asked(transport, name));
        Message reply = new Message(query.getHeader().getID());
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setFlag(Flags.RD);
        reply.getHeader().setFlag(Flags.RA);
        reply.addRecord(query.getQuestion(), Section.QUESTION);
        List<Record> records = zone.get(name.toLowerCase(java.util.Locale.ROOT));
        if (records == null) {
            reply.getHeader().setRcode(Rcode.NXDOMAIN);
        } else {
            records.stream().filter(r -> r.getType() == query.getQuestion().getType())
                    .forEach(r -> reply.addRecord(r, Section.ANSWER));
        }
        return reply.toWire();
    }

    @Override
    public void close() throws IOException {
        udpSocket.close();
        if (tcpSocket != null) {
            tcpSocket.close();
        }
        for (Socket connection : accepted) {
            try {
                connection.close();
            } catch (SocketException e) {
                // already closed by the peer
            }
        }
    }
}
