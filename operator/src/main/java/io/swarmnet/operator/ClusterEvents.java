package io.swarmnet.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Events (what `kubectl describe` shows under Events) for allocations and
 * rejections. Events are best effort: a failure to write one is logged, never fails a reconcile.
 * The same reason and message for the same object is written once, not on every reconcile.
 *
 * <p>Like client-go's event broadcaster, the writes happen off the caller's thread: one writer thread,
 * in the order they were said, so a reconcile never waits for an Event's round trip (a cold start
 * that re-states a warning for each of 1,000 services made 1,000 of them). Past {@link #BACKLOG}
 * unwritten events new ones are dropped and counted in the log. The writer thread ends when idle. One recorder serves the
 * whole operator; {@link #close} stops it with the operator, so an operator that stopped (or lost its lease) writes
 * nothing more.
 */
public final class ClusterEvents {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterEvents.class);
    public static final String COMPONENT = "swarmnet-operator";

    /** Events said but not yet written, at most. */
    static final int BACKLOG = 10_000;

    private final KubernetesClient client;
    private final Map<String, String> lastByObject = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final ThreadPoolExecutor writer;

    public ClusterEvents(KubernetesClient client) {
        this.client = client;
        this.writer = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(BACKLOG), runnable -> {
            Thread thread = new Thread(runnable, "swarmnet-events");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Waits until every event said so far is written (or failed), at most {@code timeout}; true when they are. */
    public boolean flush(Duration timeout) {
        try {
            writer.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops writing, as an operator that stops (or lost its lease) must: what waits is written for at most {@code grace},
     * the rest is dropped and counted in the log, and what is said later is dropped.
     */
    public void close(Duration grace) {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                int left = writer.shutdownNow().size();
                LOG.info("{} events not written: the operator stopped", left);
            }
        } catch (InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    public void normal(HasMetadata object, String reason, String message) {
        emit(object, "Normal", reason, message);
    }

    public void warning(HasMetadata object, String reason, String message) {
        emit(object, "Warning", reason, message);
    }

    /** Forgets what was said about an object that is gone. */
    public void forget(HasMetadata object) {
        lastByObject.remove(identity(object));
    }

    private void emit(HasMetadata object, String type, String reason, String message) {
        String identity = identity(object);
        String said = type + "/" + reason + "/" + message;
        if (said.equals(lastByObject.put(identity, said))) {
            return;
        }
        if (writer.isShutdown()) {
            return;
        }
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            writer.execute(() -> write(object, type, reason, message, now));
        } catch (RejectedExecutionException e) {
            long count = dropped.incrementAndGet();
            if (count == 1 || count % 1000 == 0) {
                LOG.warn("{} events not written: more than {} wait to be written (the API server is slow or unreachable); "
                        + "latest dropped: {} {} for {} {}/{}", count, BACKLOG, type, reason, object.getKind(),
                        object.getMetadata().getNamespace(), object.getMetadata().getName());
            }
        }
    }

    private void write(HasMetadata object, String type, String reason, String message, String now) {
        String namespace = object.getMetadata().getNamespace() == null ? "default" : object.getMetadata().getNamespace();
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                    .withNamespace(namespace)
                    .withName(object.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis()) + sequence.incrementAndGet())
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(object.getApiVersion()).withKind(object.getKind())
                            .withNamespace(object.getMetadata().getNamespace()).withName(object.getMetadata().getName())
                            .withUid(object.getMetadata().getUid()).withResourceVersion(object.getMetadata().getResourceVersion())
                            .build())
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message.length() > 1024 ? message.substring(0, 1021) + "..." : message)
                    .withCount(1)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warn("could not record event {} for {} {}/{}: {}", reason, object.getKind(), namespace,
                    object.getMetadata().getName(), e.getMessage());
        }
    }

    private static String identity(HasMetadata object) {
        String uid = object.getMetadata().getUid();
        return uid != null ? uid : object.getKind() + "/" + object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }
}
