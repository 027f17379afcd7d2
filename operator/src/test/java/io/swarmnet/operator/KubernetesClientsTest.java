package io.swarmnet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The client the operator and the agent build: on the JDK HTTP client, and it hears what a resumed watch is sent first. */
class KubernetesClientsTest {

    private static final int WATCHES = 200;

    @Test
    void everyWatchResumedFromAnOlderVersionReceivesTheChangeItMissedFirst() throws Exception {
        try (SandboxApiServer api = SandboxApiServer.start();
             KubernetesClient client = KubernetesClients.builder()
                     .withConfig(new ConfigBuilder().withMasterUrl(api.url()).withNamespace("default").build()).build()) {
            assertThat(client.getHttpClient().getClass().getName()).startsWith("io.fabric8.kubernetes.client.jdkhttp.");
            List<String> missed = new ArrayList<>();
            for (int i = 0; i < WATCHES; i++) {
                String name = "resumed-" + i;
                client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName(name).addToLabels("watch", name)
                        .endMetadata().addToData("v", "0").build()).create();
                String before = client.configMaps().withLabel("watch", name).list().getMetadata().getResourceVersion();
                client.configMaps().withName(name).edit(c -> {
                    c.getData().put("v", "1");
                    return c;
                });
                // the change happened before the watch: the server sends it right behind the WebSocket handshake
                BlockingQueue<String> events = new LinkedBlockingQueue<>();
                try (Watch ignored = client.configMaps().withLabel("watch", name)
                        .watch(new ListOptionsBuilder().withResourceVersion(before).build(), new Watcher<ConfigMap>() {
                            @Override
                            public void eventReceived(Action action, ConfigMap resource) {
                                events.add(action + " " + resource.getData().get("v"));
                            }

                            @Override
                            public void onClose(WatcherException cause) {
                            }
                        })) {
                    String first = events.poll(10, TimeUnit.SECONDS);
                    if (!"MODIFIED 1".equals(first)) {
                        missed.add(name + ": " + first);
                    }
                }
            }
            assertThat(missed).as("resumed watches whose first event never arrived, of " + WATCHES).isEmpty();
        }
    }
}
