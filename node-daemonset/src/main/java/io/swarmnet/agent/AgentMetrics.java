package io.swarmnet.agent;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.swarmnet.agent.encryption.userspace.EspTunnel;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Prometheus metrics of the node agent, in a Micrometer registry like the operator's: the userspace ESP datapath's
 * counters, zero while it does not run.
 * <ul>
 *   <li>{@code swarmnet_esp_packets_total{direction,result}}: packets by direction and outcome (what was dropped and
 *       why: forged, replayed, unknown SPI...)</li>
 *   <li>{@code swarmnet_esp_bytes_total{direction}}, {@code swarmnet_esp_batches_total{direction}},
 *       {@code swarmnet_esp_tun_reads_total}</li>
 *   <li>{@code swarmnet_esp_super_packets_total{direction}}, {@code swarmnet_esp_hellos_total{direction}}: whole
 *       super-packets between two userspace datapaths, and the hellos that agree on them</li>
 * </ul>
 */
final class AgentMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Supplier<Optional<EspTunnel.Counters>> esp;
    /** The counters every series of one scrape reads, taken once per scrape so that the series agree with each other. */
    private volatile EspTunnel.Counters snapshot = EspTunnel.Counters.NONE;

    AgentMetrics(Supplier<Optional<EspTunnel.Counters>> esp) {
        this.esp = esp;
        String packets = "Packets of the userspace ESP datapath by direction and outcome.";
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::sealed, "direction", "out", "result", "sealed");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::noAssociation, "direction", "out", "result", "no_association");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::notVxlan, "direction", "out", "result", "not_vxlan");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::sequenceExhausted, "direction", "out", "result",
                "sequence_exhausted");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::sendFailed, "direction", "out", "result", "send_failed");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::opened, "direction", "in", "result", "opened");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::unknownSpi, "direction", "in", "result", "unknown_spi");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::authenticationFailed, "direction", "in", "result",
                "authentication_failed");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::replayed, "direction", "in", "result", "replayed");
        espCounter("swarmnet_esp_packets", packets, EspTunnel.Counters::malformed, "direction", "in", "result", "malformed");
        String bytes = "Bytes sealed (ESP packets sent) and opened (VXLAN datagrams delivered).";
        espCounter("swarmnet_esp_bytes", bytes, EspTunnel.Counters::sealedBytes, "direction", "out");
        espCounter("swarmnet_esp_bytes", bytes, EspTunnel.Counters::openedBytes, "direction", "in");
        String batches = "UDP sends (out) and TUN writes (in) that carried the packets: packets per batch shows the batching.";
        espCounter("swarmnet_esp_batches", batches, EspTunnel.Counters::sends, "direction", "out");
        espCounter("swarmnet_esp_batches", batches, EspTunnel.Counters::injections, "direction", "in");
        espCounter("swarmnet_esp_tun_reads", "Reads from the TUN device: fewer than packets sealed where the kernel hands over "
                + "TCP-in-VXLAN super-packets.", EspTunnel.Counters::reads);
        String superPackets = "Of the ESP packets sealed (out) and opened (in): whole TCP-in-VXLAN super-packets, between two userspace"
                + " datapaths.";
        espCounter("swarmnet_esp_super_packets", superPackets, EspTunnel.Counters::sealedSuperPackets, "direction", "out");
        espCounter("swarmnet_esp_super_packets", superPackets, EspTunnel.Counters::openedSuperPackets, "direction", "in");
        String hellos = "Of the ESP packets sealed (out) and opened (in): hellos by which userspace datapaths agree on super-packets.";
        espCounter("swarmnet_esp_hellos", hellos, EspTunnel.Counters::hellosSent, "direction", "out");
        espCounter("swarmnet_esp_hellos", hellos, EspTunnel.Counters::hellosReceived, "direction", "in");
    }

    /** A counter read from the snapshot; Micrometer's Prometheus naming adds the {@code _total} suffix. */
    private void espCounter(String name, String description, ToLongFunction<EspTunnel.Counters> value, String... tags) {
        FunctionCounter.builder(name, this, m -> value.applyAsLong(m.snapshot)).description(description).tags(tags).register(registry);
    }

    /** All metrics in the Prometheus text format. */
    synchronized String scrape() {
        snapshot = esp.get().orElse(EspTunnel.Counters.NONE);
        return registry.scrape();
    }
}
