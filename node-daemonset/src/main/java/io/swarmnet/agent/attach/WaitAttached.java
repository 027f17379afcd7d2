package io.swarmnet.agent.attach;

import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The first container of every task pod ({@code swarmnet wait-attached}): returns once the node
 * agent has attached the pod — each of the task's overlay addresses is on an interface of the pod's
 * network namespace and the embedded resolver at 127.0.0.11 answers — so the task's own containers
 * start as Docker starts a task's process, with its networks already there. The agent opens a
 * pod's resolver only after that pod's whole datapath (interfaces, routes, virtual-IP rules) was
 * applied, so an answer from it means the rest is in place too.
 *
 * <p>Gives up after the timeout with a message naming what is missing, written to the container's
 * termination message, so that {@code kubectl describe pod} and the service's status show it.
 */
public final class WaitAttached {

    /** Exit codes: attached; not attached before the timeout; bad arguments. */
    static final int ATTACHED = 0;
    static final int NOT_ATTACHED = 1;
    static final int USAGE = 2;

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration DNS_WAIT = Duration.ofMillis(250);
    private static final Path TERMINATION_LOG = Path.of("/dev/termination-log");

    /**
     * What to wait for.
     *
     * @param addresses the task's IPv4 address on each network, by network name
     * @param name      a name to ask the resolver (the service's own, which it answers itself)
     * @param resolver  where the embedded resolver listens
     * @param timeout   when to give up
     */
    record Expectation(Map<String, String> addresses, String name, InetSocketAddress resolver, Duration timeout) {
    }

    /** What one look found. */
    record Look(Set<String> missingNetworks, boolean resolverAnswers) {
        boolean attached() {
            return missingNetworks.isEmpty() && resolverAnswers;
        }
    }

    private WaitAttached() {
    }

    public static void main(String[] args) {
        System.exit(run(args, WaitAttached::localAddresses, System.out, System.err, TERMINATION_LOG));
    }

    /** The program, with its surroundings as parameters for tests. */
    static int run(String[] args, Supplier<Set<String>> localAddresses, PrintStream out, PrintStream err, Path terminationLog) {
        Expectation expected;
        try {
            expected = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("swarmnet wait-attached: " + e.getMessage());
            err.println("usage: swarmnet wait-attached --address NETWORK=IPV4 ... --name SERVICE [--timeout SECONDS] [--resolver HOST:PORT]");
            return USAGE;
        }
        long started = System.nanoTime();
        long deadline = started + expected.timeout().toNanos();
        Look look;
        while (true) {
            look = look(expected, localAddresses.get());
            if (look.attached()) {
                out.printf("attached after %.2f s: %s; the resolver at %s answers%n", (System.nanoTime() - started) / 1e9,
                        describe(expected.addresses()), hostPort(expected.resolver()));
                return ATTACHED;
            }
            if (System.nanoTime() - deadline >= 0) {
                break;
            }
            sleep(POLL);
        }
        String message = "not attached after " + expected.timeout().toSeconds() + " s: " + problems(expected, look)
                + ". The swarmnet agent on this pod's node attaches it: check that an agent runs there"
                + " (kubectl get pods -A -l app.kubernetes.io/component=agent -o wide) and its log, and the"
                + " swarmnet.io/attached condition of this pod (kubectl describe pod)";
        err.println(message);
        writeTerminationMessage(terminationLog, message);
        return NOT_ATTACHED;
    }

    static Expectation parse(String[] args) {
        Map<String, String> addresses = new LinkedHashMap<>();
        String name = null;
        InetSocketAddress resolver = new InetSocketAddress(inet("127.0.0.11"), 53);
        Duration timeout = Duration.ofSeconds(120);
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--address" -> {
                    int equals = value.indexOf('=');
                    if (equals <= 0 || !IpAddress.isValid(value.substring(equals + 1))) {
                        throw new IllegalArgumentException("--address " + value + ": expected NETWORK=IPV4, e.g. my-network=10.0.9.3");
                    }
                    addresses.put(value.substring(0, equals), value.substring(equals + 1));
                }
                case "--name" -> name = value;
                case "--timeout" -> {
                    try {
                        timeout = Duration.ofSeconds(Long.parseLong(value));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--timeout " + value + ": expected whole seconds");
                    }
                    if (timeout.isNegative() || timeout.isZero()) {
                        throw new IllegalArgumentException("--timeout " + value + ": must be positive");
                    }
                }
                case "--resolver" -> {
                    int colon = value.lastIndexOf(':');
                    if (colon <= 0 || !IpAddress.isValid(value.substring(0, colon))) {
                        throw new IllegalArgumentException("--resolver " + value + ": expected IPV4:PORT, e.g. 127.0.0.11:53");
                    }
                    try {
                        resolver = new InetSocketAddress(inet(value.substring(0, colon)), Integer.parseInt(value.substring(colon + 1)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--resolver " + value + ": expected IPV4:PORT, e.g. 127.0.0.11:53");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no --address given: a task on no network has nothing to wait for");
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("no --name given: the resolver is asked for the service's own name");
        }
        return new Expectation(addresses, name, resolver, timeout);
    }

    static Look look(Expectation expected, Set<String> local) {
        Set<String> missing = new TreeSet<>();
        expected.addresses().forEach((network, address) -> {
            if (!local.contains(address)) {
                missing.add(network);
            }
        });
        // no point asking before the interfaces are there: the agent opens the resolver after them
        boolean answers = missing.isEmpty() && resolverAnswers(expected.resolver(), expected.name());
        return new Look(missing, answers);
    }

    /** Whether a DNS server answers at all (any response code): it is there and serving this pod. */
    static boolean resolverAnswers(InetSocketAddress resolver, String name) {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout((int) DNS_WAIT.toMillis());
            socket.connect(resolver);
            int id = ThreadLocalRandom.current().nextInt(1 << 16);
            byte[] wire = query(id, name);
            socket.send(new DatagramPacket(wire, wire.length));
            byte[] buffer = new byte[4096];
            long until = System.nanoTime() + DNS_WAIT.toNanos();
            while (System.nanoTime() - until < 0) {
                DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
                socket.receive(reply);
                if (reply.getLength() >= 2 && ((buffer[0] & 0xff) << 8 | (buffer[1] & 0xff)) == id) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            // refused (nothing listens yet: ICMP port unreachable), timed out: not yet
            return false;
        }
    }

    /**
     * A recursive A query for {@code name}, written by hand: this program runs once per task start, so
     * it loads as few classes as it can (a DNS library alone costs it a tenth of a second).
     */
    static byte[] query(int id, String name) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(64);
        out.write(id >> 8);
        out.write(id);
        out.write(0x01); // RD
        out.write(0x00);
        out.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0}); // one question
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            if (bytes.length > 63) {
                throw new IllegalArgumentException("--name " + name + ": label longer than 63 characters");
            }
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.writeBytes(new byte[] {0, 0, 1, 0, 1}); // root, type A, class IN
        return out.toByteArray();
    }

    /** Every IPv4 address on the interfaces of this network namespace. */
    static Set<String> localAddresses() {
        Set<String> addresses = new TreeSet<>();
        try {
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                for (InetAddress address : nic.inetAddresses().toList()) {
                    if (address instanceof Inet4Address) {
                        addresses.add(address.getHostAddress());
                    }
                }
            }
        } catch (SocketException e) {
            // cannot list interfaces this time; the next look tries again
        }
        return addresses;
    }

    private static String problems(Expectation expected, Look look) {
        List<String> problems = new ArrayList<>();
        for (String network : look.missingNetworks()) {
            problems.add("address " + expected.addresses().get(network) + " of network " + network + " is on no interface");
        }
        if (look.missingNetworks().isEmpty() && !look.resolverAnswers()) {
            problems.add("the resolver at " + hostPort(expected.resolver()) + " does not answer");
        }
        return String.join("; ", problems);
    }

    private static String describe(Map<String, String> addresses) {
        List<String> parts = new ArrayList<>();
        addresses.forEach((network, address) -> parts.add(network + " " + address));
        return String.join(", ", parts);
    }

    private static String hostPort(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    private static void writeTerminationMessage(Path log, String message) {
        try {
            if (Files.isWritable(log)) {
                Files.writeString(log, message, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            // the message is on stderr too, which FallbackToLogsOnError shows
        }
    }

    private static InetAddress inet(String ipv4) {
        try {
            return InetAddress.getByAddress(IpAddress.parse(ipv4).bytes());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ipv4 + " is not an IPv4 address", e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to be attached", e);
        }
    }
}
