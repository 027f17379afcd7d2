package io.swarmnet.agent.dns;

import io.swarmnet.api.net.IpAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The names one pod resolves itself: everything else is forwarded upstream. Keys are lower-case
 * absolute names without the trailing dot ({@code my-web}, {@code tasks.my-web},
 * {@code 3.9.0.10.in-addr.arpa}).
 *
 * @param addresses A records, in the order they are answered (before any rotation)
 * @param rotating  names whose answers rotate between queries (dnsrr service names), as Docker does
 * @param pointers  PTR records
 * @param ttls      TTL in seconds per name in {@code addresses}
 * @param searches  the pod's DNS search domains (lower-case, no trailing dot): a name of ours with one of
 *                  them appended is what a resolver asks first for a short name
 */
public record NameTable(Map<String, List<IpAddress>> addresses, java.util.Set<String> rotating, Map<String, String> pointers,
        Map<String, Integer> ttls, List<String> searches) {

    public static final NameTable EMPTY = new NameTable(Map.of(), java.util.Set.of(), Map.of(), Map.of());

    public NameTable {
        addresses = Map.copyOf(addresses);
        rotating = java.util.Set.copyOf(rotating);
        pointers = Map.copyOf(pointers);
        ttls = Map.copyOf(ttls);
        searches = searches.stream().map(NameTable::key).toList();
    }

    public NameTable(Map<String, List<IpAddress>> addresses, java.util.Set<String> rotating, Map<String, String> pointers,
            Map<String, Integer> ttls) {
        this(addresses, rotating, pointers, ttls, List.of());
    }

    static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    public Optional<List<IpAddress>> lookup(String name) {
        return Optional.ofNullable(addresses.get(key(name)));
    }

    public Optional<String> pointer(String name) {
        return Optional.ofNullable(pointers.get(key(name)));
    }

    /** True when the name is ours, whatever the record type asked for (so AAAA gets NOERROR, not a forward). */
    public boolean owns(String name) {
        String k = key(name);
        return addresses.containsKey(k) || pointers.containsKey(k);
    }

    /**
     * The name of ours that {@code name} is with one of the pod's search domains appended
     * ({@code my-web.default.svc.cluster.local} → {@code my-web}), if it is one. Kubernetes pods search
     * their cluster domains before trying a short name as it is, and some clients (busybox's nslookup)
     * never try it as it is.
     */
    public Optional<String> searchedName(String name) {
        String k = key(name);
        for (String search : searches) {
            if (k.length() > search.length() + 1 && k.endsWith("." + search)) {
                String base = k.substring(0, k.length() - search.length() - 1);
                if (owns(base)) {
                    return Optional.of(base);
                }
            }
        }
        return Optional.empty();
    }

    public int ttl(String name) {
        return ttls.getOrDefault(key(name), DnsRecords.TASK_TTL_SECONDS);
    }
}
