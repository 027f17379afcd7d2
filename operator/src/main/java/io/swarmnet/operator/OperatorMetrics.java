package io.swarmnet.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.swarmnet.operator.ipam.AddressLedger;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus metrics of the operator. Hooked into java-operator-sdk so that both reconcilers are
 * counted the same way without either knowing about metrics:
 * <ul>
 *   <li>{@code swarmnet_reconciles_total{kind}}, {@code swarmnet_reconciles_succeeded_total{kind}},
 *       {@code swarmnet_reconcile_errors_total{kind}},
 *       {@code swarmnet_reconcile_seconds{controller}}</li>
 *   <li>{@code swarmnet_allocations_total{type=subnet|vni}}, {@code swarmnet_rejections_total{reason}},
 *       {@code swarmnet_address_allocations_total}</li>
 *   <li>{@code swarmnet_addresses_in_use{network}} (tasks and virtual IPs, per {@code namespace/name})</li>
 * </ul>
 */
public final class OperatorMetrics implements Metrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> networksWithGauge = ConcurrentHashMap.newKeySet();
    private volatile AddressLedger ledger;

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Starts publishing the ledger's numbers; called once the ledger is rebuilt. */
    public void watch(AddressLedger ledger) {
        this.ledger = ledger;
        FunctionCounter.builder("swarmnet_address_allocations", ledger, AddressLedger::allocationsMade)
                .description("Addresses handed out to tasks and virtual IPs since start").register(registry);
    }

    /** Makes sure the network has an addresses-in-use gauge (cheap to call on every reconcile). */
    public void trackNetwork(String namespace, String name) {
        String key = namespace + "/" + name;
        if (networksWithGauge.add(key)) {
            Gauge.builder("swarmnet_addresses_in_use", this, m -> m.ledger == null ? 0 : m.ledger.inUseNow(namespace, name))
                    .description("Addresses held by tasks and virtual IPs on the network").tag("network", key).register(registry);
        }
    }

    public void allocated(String type) {
        Counter.builder("swarmnet_allocations").description("Subnets and VXLAN ids allocated").tag("type", type).register(registry).increment();
    }

    public void rejected(String reason) {
        Counter.builder("swarmnet_rejections").description("Specs refused with a Ready=False condition").tag("reason", reason)
                .register(registry).increment();
    }

    /** Rejections of every reason so far (for benchmarks and tests). */
    public double rejectedCount() {
        return registry.find("swarmnet_rejections").counters().stream().mapToDouble(Counter::count).sum();
    }

    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
        Counter.builder("swarmnet_reconciles").description("Reconciles started").tag("kind", resource.getKind()).register(registry).increment();
    }

    @Override
    public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
        Counter.builder("swarmnet_reconciles_succeeded").description("Reconciles that finished without an exception")
                .tag("kind", resource.getKind()).register(registry).increment();
    }

    /** Reconciles of {@code kind} that finished without an exception so far (for benchmarks and tests). */
    public double succeeded(String kind) {
        Counter c = registry.find("swarmnet_reconciles_succeeded").tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }

    /** Mean and max time of one reconcile of a controller so far, e.g. "n=1000 mean=12.3ms max=80.1ms" (for benchmarks). */
    public String reconcileTimes(String controller) {
        Timer t = registry.find("swarmnet_reconcile").tag("controller", controller).tag("operation", "reconcile").timer();
        if (t == null) {
            return "n=0";
        }
        return String.format("n=%d mean=%.1fms max=%.1fms", t.count(), t.mean(java.util.concurrent.TimeUnit.MILLISECONDS),
                t.max(java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    @Override
    public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
        Counter.builder("swarmnet_reconcile_errors").description("Reconciles that ended in an exception").tag("kind", resource.getKind())
                .register(registry).increment();
    }

    @Override
    public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
        Timer timer = Timer.builder("swarmnet_reconcile").description("Time spent in reconcile and cleanup")
                .tag("controller", execution.controllerName()).tag("operation", execution.name()).register(registry);
        long start = System.nanoTime();
        try {
            return execution.execute();
        } finally {
            timer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }
}
