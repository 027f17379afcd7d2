package io.swarmnet.agent;

import io.swarmnet.api.net.IpAddress;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.OptionalInt;

/** The host interface holding the underlay address: its MTU bounds every overlay's MTU. */
final class UnderlayInterface {

    private UnderlayInterface() {
    }

    /** The MTU of the interface (in this process's network namespace) that holds {@code address}, if any does. */
    static OptionalInt mtuOf(IpAddress address) {
        try {
            InetAddress wanted = InetAddress.getByAddress(address.bytes());
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (Collections.list(nic.getInetAddresses()).contains(wanted)) {
                    return OptionalInt.of(nic.getMTU());
                }
            }
            return OptionalInt.empty();
        } catch (SocketException | UnknownHostException e) {
            return OptionalInt.empty();
        }
    }
}
