package io.swarmnet.agent.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An informer's store that keeps each object as the agent read it ({@link Kept}), not the object: the fabric8 model of
 * a task pod or a SwarmService (its template: commands, probes, environment; the kubelet's container states) is
 * kilobytes, what the agent reads of it a few hundred bytes, and the agent caches every task of the cluster. Each
 * object is read once per version, as the informer delivers it.
 *
 * <p>The informer itself sees references only ({@link Kept#reference()}: kind, namespace, name, uid and
 * resourceVersion), which is all it reads of what it stored: the version to tell an update from a repeat, the key
 * to drop what a new list no longer holds. Event handlers get these references too; the agent's only mark the state
 * dirty. The agent reads {@link #kept()}.
 */
final class ParsedStore<T extends HasMetadata, R extends ParsedStore.Kept<T>> implements ItemStore<T> {

    /** What the agent keeps of one object. */
    interface Kept<T> {
        /** An object that only names the one read, with its version. */
        T reference();
    }

    private final Map<String, R> kept = new ConcurrentHashMap<>();
    private final Function<T, R> read;

    ParsedStore(Function<T, R> read) {
        this.read = read;
    }

    /** Everything kept, in no particular order. */
    Stream<R> kept() {
        return kept.values().stream();
    }

    Optional<R> kept(String key) {
        return Optional.ofNullable(kept.get(key));
    }

    @Override
    public String getKey(T object) {
        return Cache.metaNamespaceKeyFunc(object);
    }

    @Override
    public T put(String key, T object) {
        return reference(kept.put(key, read.apply(object)));
    }

    @Override
    public T remove(String key) {
        return reference(kept.remove(key));
    }

    @Override
    public Stream<String> keySet() {
        return kept.keySet().stream();
    }

    @Override
    public Stream<T> values() {
        return kept.values().stream().map(Kept::reference);
    }

    @Override
    public int size() {
        return kept.size();
    }

    @Override
    public T get(String key) {
        return reference(kept.get(key));
    }

    private T reference(R r) {
        return r == null ? null : r.reference();
    }
}
