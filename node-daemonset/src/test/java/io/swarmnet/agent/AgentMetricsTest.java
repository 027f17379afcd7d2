package io.swarmnet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.encryption.userspace.EspTunnel;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What a Prometheus scrape of the agent's /metrics shows: the userspace ESP datapath's counters, by series. */
class AgentMetricsTest {

    /** Every counter a different value, so a series reading the wrong one shows. */
    private static final EspTunnel.Counters RUNNING = new EspTunnel.Counters(101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
            112, 113, 114, 115, 116, 117, 118, 119);

    @Test
    void aScrapeShowsEveryEspCounterUnderItsSeries() {
        String scrape = new AgentMetrics(() -> Optional.of(RUNNING)).scrape();

        assertThat(scrape).contains(
                "# TYPE swarmnet_esp_packets_total counter\n",
                "# HELP swarmnet_esp_packets_total Packets of the userspace ESP datapath by direction and outcome.\n",
                "swarmnet_esp_packets_total{direction=\"out\",result=\"sealed\"} 101.0\n",
                "swarmnet_esp_packets_total{direction=\"out\",result=\"no_association\"} 105.0\n",
                "swarmnet_esp_packets_total{direction=\"out\",result=\"not_vxlan\"} 106.0\n",
                "swarmnet_esp_packets_total{direction=\"out\",result=\"sequence_exhausted\"} 107.0\n",
                "swarmnet_esp_packets_total{direction=\"out\",result=\"send_failed\"} 112.0\n",
                "swarmnet_esp_packets_total{direction=\"in\",result=\"opened\"} 103.0\n",
                "swarmnet_esp_packets_total{direction=\"in\",result=\"unknown_spi\"} 108.0\n",
                "swarmnet_esp_packets_total{direction=\"in\",result=\"authentication_failed\"} 109.0\n",
                "swarmnet_esp_packets_total{direction=\"in\",result=\"replayed\"} 110.0\n",
                "swarmnet_esp_packets_total{direction=\"in\",result=\"malformed\"} 111.0\n",
                "# TYPE swarmnet_esp_bytes_total counter\n",
                "swarmnet_esp_bytes_total{direction=\"out\"} 102.0\n",
                "swarmnet_esp_bytes_total{direction=\"in\"} 104.0\n",
                "# TYPE swarmnet_esp_batches_total counter\n",
                "swarmnet_esp_batches_total{direction=\"out\"} 113.0\n",
                "swarmnet_esp_batches_total{direction=\"in\"} 114.0\n",
                "# TYPE swarmnet_esp_tun_reads_total counter\n",
                "swarmnet_esp_tun_reads_total 115.0\n",
                "# TYPE swarmnet_esp_super_packets_total counter\n",
                "swarmnet_esp_super_packets_total{direction=\"out\"} 116.0\n",
                "swarmnet_esp_super_packets_total{direction=\"in\"} 117.0\n",
                "# TYPE swarmnet_esp_hellos_total counter\n",
                "swarmnet_esp_hellos_total{direction=\"out\"} 118.0\n",
                "swarmnet_esp_hellos_total{direction=\"in\"} 119.0\n");
        assertThat(scrape.lines().filter(l -> !l.startsWith("#"))).as("19 series, nothing else").hasSize(19);
    }

    @Test
    void everySeriesIsZeroWhileTheUserspaceDatapathDoesNotRunAndFollowsItOnceItDoes() {
        AtomicReference<Optional<EspTunnel.Counters>> tunnel = new AtomicReference<>(Optional.empty());
        AgentMetrics metrics = new AgentMetrics(tunnel::get);

        String idle = metrics.scrape();
        assertThat(idle).contains("swarmnet_esp_packets_total{direction=\"in\",result=\"replayed\"} 0.0\n",
                "swarmnet_esp_tun_reads_total 0.0\n");
        assertThat(idle.lines().filter(l -> !l.startsWith("#"))).allMatch(l -> l.endsWith(" 0.0"));

        tunnel.set(Optional.of(RUNNING));
        assertThat(metrics.scrape()).contains("swarmnet_esp_packets_total{direction=\"in\",result=\"replayed\"} 110.0\n",
                "swarmnet_esp_tun_reads_total 115.0\n");
    }
}
