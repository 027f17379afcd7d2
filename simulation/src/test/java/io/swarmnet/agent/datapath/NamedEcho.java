package io.swarmnet.agent.datapath;

import io.swarmnet.agent.netns.NetworkNamespace;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend for VIP tests, inside a pod's namespace: it answers every UDP datagram and every TCP line on one port
 * with its name and what it received, so the client sees which backend the VIP chose. Its sockets are made on a
 * thread that entered the namespace; serving threads are daemons and end when {@link #close} closes the sockets.
 */
final class NamedEcho implements AutoCloseable {

    private final String name;
    private final List<Closeable> sockets = new CopyOnWriteArrayList<>();

    private NamedEcho(String name) {
        this.name = name;
    }

    static NamedEcho start(Path namespace, String name, int port) throws IOException {
        NamedEcho echo = new NamedEcho(name);
        DatagramSocket udp = NetworkNamespace.callInside(namespace, "echo-udp-" + name, () -> new DatagramSocket(new InetSocketAddress(port)));
        echo.sockets.add(udp);
        ServerSocket tcp = NetworkNamespace.callInside(namespace, "echo-tcp-" + name, () -> new ServerSocket(port));
        echo.sockets.add(tcp);
        echo.daemon("udp", () -> echo.serveUdp(udp));
        echo.daemon("tcp", () -> echo.serveTcp(tcp));
        return echo;
    }

    private void serveUdp(DatagramSocket socket) {
        byte[] buffer = new byte[512];
        try {
            while (true) {
                DatagramPacket in = new DatagramPacket(buffer, buffer.length);
                socket.receive(in);
                byte[] answer = (name + " " + new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void serveTcp(ServerSocket server) {
        try {
            while (true) {
                Socket connection = server.accept();
                sockets.add(connection);
                daemon("connection", () -> {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
                        OutputStream out = connection.getOutputStream();
                        String line;
                        while ((line = in.readLine()) != null) {
                            out.write((name + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                    } catch (IOException e) {
                        // closed or reset
                    }
                });
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void daemon(String what, Runnable work) {
        Thread t = new Thread(work, "echo-" + name + "-" + what);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        for (Closeable s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
