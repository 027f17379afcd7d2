package io.swarmnet.sandboxapi.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmnet.sandboxapi.ApiError;
import io.swarmnet.sandboxapi.Json;
import io.swarmnet.sandboxapi.resource.ResourceType;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The objects of the embedded API, with the storage semantics clients rely on: one global
 * resourceVersion sequence, optimistic concurrency, finalizers holding deleted objects, and watches
 * that resume from a resourceVersion without gaps or duplicates.
 *
 * <p>Objects handed out by {@link #list} and to watchers are shared and must not be modified;
 * {@link #get} returns a private copy. One lock orders every write and every watch event.
 */
public final class ObjectStore {

    /** Events kept for watches that resume from an older resourceVersion; older ones get 410 Gone. */
    private static final int HISTORY = 50_000;
    private static final char[] NAME_SUFFIX = "bcdfghjklmnpqrstvwxz2456789".toCharArray();

    private record Stored(ResourceType type, ObjectNode object) {
    }

    private record Change(long resourceVersion, String groupResource, ObjectNode before, ObjectNode after,
                          ObjectNode removed) {
    }

    private record Watch(String groupResource, String namespace, Predicate<ObjectNode> filter, WatchSink sink) {
        boolean sees(String resource, ObjectNode object) {
            return object != null && groupResource.equals(resource)
                    && (namespace == null || namespace.equals(Json.namespace(object)))
                    && filter.test(object);
        }
    }

    /** A running watch; {@link #close()} stops its events. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    public record Snapshot(List<ObjectNode> items, long resourceVersion) {
    }

    private final NavigableMap<ObjectKey, Stored> objects = new TreeMap<>();
    private final Deque<Change> history = new ArrayDeque<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private volatile AdmissionControl admission = AdmissionControl.NONE;
    private long resourceVersion = 1;

    public ObjectStore(Clock clock) {
        this.clock = clock;
    }

    public void admission(AdmissionControl admission) {
        this.admission = admission;
    }

    public void addListener(ChangeListener listener) {
        listeners.add(listener);
    }

    public synchronized long resourceVersion() {
        return resourceVersion;
    }

    /** @return a private copy, or null when absent */
    public synchronized ObjectNode get(ResourceType type, String namespace, String name) {
        Stored stored = objects.get(ObjectKey.of(type, namespace, name));
        return stored == null ? null : stored.object().deepCopy();
    }

    public ObjectNode require(ResourceType type, String namespace, String name) {
        ObjectNode object = get(type, namespace, name);
        if (object == null) {
            throw ApiError.notFound(type.qualifiedName(), name);
        }
        return object;
    }

    /**
     * One page of a list, in key order (namespace, then name).
     *
     * @param last      the key of the page's last item; null when the page is empty
     * @param more      whether objects matching the filter follow the page
     * @param remaining how many objects of the listed range follow the page, matching the filter or not
     */
    public record Page(List<ObjectNode> items, ObjectKey last, boolean more, long remaining, long resourceVersion) {
    }

    /** @param namespace null for all namespaces */
    public Snapshot list(ResourceType type, String namespace, Predicate<ObjectNode> filter) {
        Page all = page(type, namespace, filter, null, Integer.MAX_VALUE);
        return new Snapshot(all.items(), all.resourceVersion());
    }

    /**
     * At most {@code limit} objects matching {@code filter} that come after {@code after}, from the
     * current state.
     *
     * @param namespace null for all namespaces
     * @param after     the key the previous page ended with; null to start from the first object
     */
    public synchronized Page page(ResourceType type, String namespace, Predicate<ObjectNode> filter, ObjectKey after,
                                  int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("a page holds at least one object, not " + limit);
        }
        NavigableMap<ObjectKey, Stored> range = range(type.groupResource(), namespace);
        NavigableMap<ObjectKey, Stored> rest = after == null ? range : range.tailMap(after, false);
        List<ObjectNode> items = new ArrayList<>();
        ObjectKey last = null;
        boolean more = false;
        for (Map.Entry<ObjectKey, Stored> entry : rest.entrySet()) {
            if (!filter.test(entry.getValue().object())) {
                continue;
            }
            if (items.size() == limit) {
                more = true;
                break;
            }
            items.add(entry.getValue().object());
            last = entry.getKey();
        }
        long remaining = more ? rest.tailMap(last, false).size() : 0;
        return new Page(items, last, more, remaining, resourceVersion);
    }

    /** A stored object with its kind, as the garbage collector walks them. */
    public record Entry(ObjectKey key, ResourceType type, ObjectNode object) {
    }

    /** Every stored object of every kind whose {@code ownerReferences} name {@code ownerUid}. */
    public synchronized List<Entry> dependentsOf(String ownerUid) {
        List<Entry> dependents = new ArrayList<>();
        for (ObjectKey key : dependentsByOwner.getOrDefault(ownerUid, java.util.Set.of())) {
            Stored stored = objects.get(key);
            if (stored != null) {
                dependents.add(new Entry(key, stored.type(), stored.object()));
            }
        }
        return dependents;
    }

    /** Owner uid → keys of the objects that reference it, so collecting an owner's dependents does not scan the store. */
    private final Map<String, java.util.Set<ObjectKey>> dependentsByOwner = new java.util.HashMap<>();

    private void indexOwners(ObjectKey key, ObjectNode object, boolean add) {
        if (object == null) {
            return;
        }
        for (var reference : object.path("metadata").path("ownerReferences")) {
            String owner = reference.path("uid").asText("");
            if (add) {
                dependentsByOwner.computeIfAbsent(owner, o -> new java.util.TreeSet<>()).add(key);
            } else {
                java.util.Set<ObjectKey> keys = dependentsByOwner.get(owner);
                if (keys != null && keys.remove(key) && keys.isEmpty()) {
                    dependentsByOwner.remove(owner);
                }
            }
        }
    }

    /** The stored Namespace objects. */
    public synchronized List<Entry> namespaces() {
        List<Entry> entries = new ArrayList<>();
        objects.forEach((key, stored) -> {
            if (WriteRules.isNamespace(stored.object())) {
                entries.add(new Entry(key, stored.type(), stored.object()));
            }
        });
        return entries;
    }

    /** Every stored object in a namespace, of every kind. */
    public synchronized List<Entry> inNamespace(String namespace) {
        List<Entry> entries = new ArrayList<>();
        objects.forEach((key, stored) -> {
            if (key.namespace().equals(namespace) && stored.type().namespaced()) {
                entries.add(new Entry(key, stored.type(), stored.object()));
            }
        });
        return entries;
    }

    /** As the NamespaceLifecycle admission plugin: no new objects in a missing or terminating namespace. */
    private void requireLiveNamespace(String namespace) {
        Stored stored = objects.get(new ObjectKey("namespaces.", "", namespace));
        if (stored == null) {
            throw ApiError.notFound("namespaces", namespace);
        }
        if (WriteRules.beingDeleted(stored.object())) {
            throw new ApiError(403, "Forbidden", "unable to create new content in namespace " + namespace
                    + " because it is being terminated", null);
        }
    }

    private NavigableMap<ObjectKey, Stored> range(String groupResource, String namespace) {
        if (namespace == null) {
            return objects.subMap(new ObjectKey(groupResource, "", ""), true, new ObjectKey(groupResource + "\0", "", ""), false);
        }
        return objects.subMap(new ObjectKey(groupResource, namespace, ""), true,
                new ObjectKey(groupResource, namespace + "\0", ""), false);
    }

    public synchronized ObjectNode create(ResourceType type, ObjectNode incoming) {
        ObjectNode candidate = incoming.deepCopy();
        ObjectNode metadata = Json.metadata(candidate);
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            String prefix = metadata.path("generateName").asText("");
            if (prefix.isEmpty()) {
                throw new ApiError(422, "Invalid", type.kind() + " \"\" is invalid: metadata.name: Required value: name or generateName is required", null);
            }
            do {
                name = prefix + suffix();
            } while (objects.containsKey(ObjectKey.of(type, Json.namespace(candidate), name)));
            metadata.put("name", name);
        }
        ObjectNames.check(type, name);
        ObjectKey key = ObjectKey.of(type, Json.namespace(candidate), name);
        if (type.namespaced()) {
            requireLiveNamespace(Json.namespace(candidate));
        }
        if (objects.containsKey(key)) {
            throw ApiError.alreadyExists(type.qualifiedName(), name);
        }
        ObjectNode object = WriteRules.forCreate(type, candidate, UUID.randomUUID().toString(), resourceVersion + 1, clock.instant());
        admission.admit(type, object, null);
        commit(type, key, null, object, null);
        return object.deepCopy();
    }

    /**
     * Read-modify-write of one object: {@code change} gets a private copy of the stored object and
     * returns what the client wants stored; the write rules and admission then decide what is stored.
     */
    public synchronized ObjectNode update(ResourceType type, String namespace, String name, Subresource subresource,
                                          UnaryOperator<ObjectNode> change) {
        ObjectKey key = ObjectKey.of(type, namespace, name);
        Stored stored = objects.get(key);
        if (stored == null) {
            throw ApiError.notFound(type.qualifiedName(), name);
        }
        ObjectNode current = stored.object();
        ObjectNode desired = change.apply(current.deepCopy());
        if (!name.equals(Json.name(desired)) && !Json.name(desired).isEmpty()) {
            throw ApiError.badRequest("the name of the object (" + Json.name(desired)
                    + ") does not match the name on the URL (" + name + ")");
        }
        ObjectNode next = WriteRules.forUpdate(type, current, desired, subresource, resourceVersion + 1);
        if (next == current) {
            return current.deepCopy();
        }
        admission.admit(type, next, current);
        if (WriteRules.beingDeleted(next) && !WriteRules.hasFinalizers(next)) {
            // The last finalizer is gone from an object being deleted: it goes now.
            commit(type, key, current, null, next);
            return next;
        }
        commit(type, key, current, next, null);
        return next.deepCopy();
    }

    /**
     * Deletes an object, or only marks it (deletionTimestamp) while finalizers remain.
     *
     * @param preconditionUid             when non-empty, the uid the object must have
     * @param preconditionResourceVersion when non-empty, the resourceVersion the object must have
     * @return the object as last stored
     */
    public synchronized ObjectNode delete(ResourceType type, String namespace, String name, String preconditionUid,
                                          String preconditionResourceVersion) {
        ObjectKey key = ObjectKey.of(type, namespace, name);
        Stored stored = objects.get(key);
        if (stored == null) {
            throw ApiError.notFound(type.qualifiedName(), name);
        }
        ObjectNode current = stored.object();
        if (preconditionUid != null && !preconditionUid.isEmpty() && !preconditionUid.equals(Json.uid(current))) {
            throw new ApiError(409, "Conflict", "Precondition failed: UID in precondition: " + preconditionUid
                    + ", UID in object meta: " + Json.uid(current), null);
        }
        if (preconditionResourceVersion != null && !preconditionResourceVersion.isEmpty()
                && !preconditionResourceVersion.equals(current.path("metadata").path("resourceVersion").asText())) {
            throw ApiError.conflict(type.qualifiedName(), name);
        }
        if (WriteRules.hasFinalizers(current)) {
            if (WriteRules.beingDeleted(current)) {
                return current.deepCopy();
            }
            ObjectNode marked = WriteRules.markDeleting(current, resourceVersion + 1, clock.instant());
            commit(type, key, current, marked, null);
            return marked.deepCopy();
        }
        commit(type, key, current, null, current);
        return WriteRules.withResourceVersion(current, resourceVersion);
    }

    /**
     * Runs writes as {@code ?dryRun=All} asks: every check, defaulting and admission happens and the
     * would-be result is returned, but nothing is stored and no watcher hears of it.
     */
    public static <T> T dryRun(boolean dryRun, java.util.function.Supplier<T> writes) {
        Boolean previous = DRY_RUN.get();
        DRY_RUN.set(dryRun);
        try {
            return writes.get();
        } finally {
            DRY_RUN.set(previous);
        }
    }

    private static final ThreadLocal<Boolean> DRY_RUN = new ThreadLocal<>();

    /** @param lastState for a removal: the object's final state, sent in DELETED events */
    private void commit(ResourceType type, ObjectKey key, ObjectNode before, ObjectNode after, ObjectNode lastState) {
        if (Boolean.TRUE.equals(DRY_RUN.get())) {
            return;
        }
        resourceVersion++;
        indexOwners(key, before, false);
        indexOwners(key, after, true);
        ObjectNode removed = null;
        if (after == null) {
            objects.remove(key);
            removed = WriteRules.withResourceVersion(lastState, resourceVersion);
        } else {
            objects.put(key, new Stored(type, after));
        }
        Change change = new Change(resourceVersion, key.groupResource(), before, after, removed);
        history.addLast(change);
        if (history.size() > HISTORY) {
            history.removeFirst();
        }
        for (Watch watch : watches) {
            deliver(watch, change);
        }
        for (ChangeListener listener : listeners) {
            listener.changed(type, before, after);
        }
    }

    private static void deliver(Watch watch, Change change) {
        boolean sawBefore = watch.sees(change.groupResource(), change.before());
        boolean seesAfter = watch.sees(change.groupResource(), change.after());
        if (sawBefore && seesAfter) {
            watch.sink().event("MODIFIED", change.after());
        } else if (seesAfter) {
            watch.sink().event("ADDED", change.after());
        } else if (sawBefore) {
            ObjectNode last = change.removed() != null ? change.removed()
                    : WriteRules.withResourceVersion(change.before(), change.resourceVersion());
            watch.sink().event("DELETED", last);
        }
    }

    /**
     * Starts a watch.
     *
     * @param namespace           null for all namespaces
     * @param fromResourceVersion null, "" or "0": ADDED events for what exists now, then changes;
     *                            otherwise every change after that version (410 when it is too old)
     */
    public synchronized Subscription watch(ResourceType type, String namespace, Predicate<ObjectNode> filter,
                                           String fromResourceVersion, WatchSink sink) {
        Watch watch = new Watch(type.groupResource(), namespace, filter, sink);
        if (fromResourceVersion == null || fromResourceVersion.isEmpty() || fromResourceVersion.equals("0")) {
            for (Stored stored : range(type.groupResource(), namespace).values()) {
                if (filter.test(stored.object())) {
                    sink.event("ADDED", stored.object());
                }
            }
            sink.initialEventsEnd(Long.toString(resourceVersion));
        } else {
            long from;
            try {
                from = Long.parseLong(fromResourceVersion);
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("invalid resourceVersion \"" + fromResourceVersion + "\": not a number");
            }
            long oldestKept = history.isEmpty() ? resourceVersion : history.peekFirst().resourceVersion() - 1;
            if (from < oldestKept) {
                sink.expired("too old resource version: " + from + " (" + oldestKept + ")");
                return () -> { };
            }
            for (Change change : history) {
                if (change.resourceVersion() > from) {
                    deliver(watch, change);
                }
            }
        }
        watches.add(watch);
        return () -> watches.remove(watch);
    }

    private String suffix() {
        StringBuilder suffix = new StringBuilder(5);
        for (int i = 0; i < 5; i++) {
            suffix.append(NAME_SUFFIX[random.nextInt(NAME_SUFFIX.length)]);
        }
        return suffix.toString();
    }
}
