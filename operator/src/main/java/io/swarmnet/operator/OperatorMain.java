package io.swarmnet.operator;

import ch.qos.logback.classic.Level;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.swarmnet.api.KubernetesClients;
import io.swarmnet.operator.startup.StartupRefused;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the operator process ({@code java -jar swarmnet-operator-all.jar}): configuration
 * from the environment (docs/operator.md, "Configuration"), the Kubernetes client from the usual places
 * (in-cluster service account, else ~/.kube/config or KUBECONFIG), HTTP status endpoints, the start-up
 * checks (permissions, CRD revisions; exit status 2 with what to do when one fails), leader election,
 * then the reconcilers.
 */
public final class OperatorMain {

    private OperatorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        // The operator's own log configuration, named so that it never shadows the configuration of
        // a program that merely has this jar on its class path.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "swarmnet-operator-logback.xml");
        }
        KubernetesClients.widenCommonPool();
        OperatorConfig config;
        try {
            config = OperatorConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("swarmnet operator: bad configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(config.logLevel(), Level.INFO));
        Logger log = LoggerFactory.getLogger(OperatorMain.class);
        log.info("configuration: {}", config);

        KubernetesClient client = KubernetesClients.builder().build();
        OperatorMetrics metrics = new OperatorMetrics();
        OperatorProcess process = new OperatorProcess(client, config, metrics, OperatorProcess.LeaseTimings.DEFAULT, () -> {
            // A replica that stopped leading (or failed to start) exits; Kubernetes restarts it as a standby
            // that will rebuild its state from the cluster if it ever leads again.
            Runtime.getRuntime().halt(1);
        });
        StatusEndpoints endpoints = null;
        if (config.httpPort() > 0) {
            try {
                endpoints = StatusEndpoints.start(config.httpPort(), process::live, process::ready, process::describe, metrics::scrape);
                log.info("serving /healthz, /readyz and /metrics on port {}", endpoints.port());
            } catch (IOException e) {
                log.error("cannot listen on port {} ({}): {}; set {} to a free port or 0 to disable", config.httpPort(),
                        OperatorConfig.ENV_HTTP_PORT, e.getMessage(), OperatorConfig.ENV_HTTP_PORT);
                System.exit(2);
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        StatusEndpoints http = endpoints;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping");
            process.close();
            if (http != null) {
                http.close();
            }
            client.close();
            stopped.countDown();
        }, "swarmnet-shutdown"));
        try {
            process.start();
        } catch (StartupRefused e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
        stopped.await();
    }
}
