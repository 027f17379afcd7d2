package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the kernel spends on one backend change in one pod: the datapath's netlink batch for it, sent into a pod
 * namespace whose VIP table holds 100 to 3,000 VIPs. Printed, never asserted against a target. Run on purpose:
 * {@code mvn -pl node-daemonset -am test -Dtest=VipTransactionBenchmark -Dgroups=benchmark -DexcludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false}; knob -Dswarmnet.bench.vips (100,1000,3000).
 */
@Tag("benchmark")
class VipTransactionBenchmark {

    private static final int CHANGES = 200;

    @Test
    void aBackendChangeByTableSize() throws Exception {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft", "nsenter");
        KernelNames names = new KernelNames("vtb");
        VipLoadBalancer balancer = new VipLoadBalancer(names);
        try (TestNamespaces namespaces = new TestNamespaces("vtb"); KernelTools tools = new KernelTools(Duration.ofSeconds(30))) {
            org.junit.jupiter.api.Assumptions.assumeTrue(tools.nftInSessions(), "libnftables cannot be loaded here");
            System.out.printf(Locale.ROOT, "%n== one backend change in one pod, as one netlink batch (median / p90 of %d) ==%n", CHANGES);
            for (String size : System.getProperty("swarmnet.bench.vips", "100,1000,3000").split(",")) {
                int vips = Integer.parseInt(size.strip());
                NetNamespace pod = NetNamespace.of(namespaces.create("p" + vips));
                Map<IpAddress, List<IpAddress>> desired = new HashMap<>();
                for (int s = 0; s < vips; s++) {
                    List<IpAddress> backends = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        backends.add(IpAddress.parse("10.128.0.0").plus(16 + s * 10L + i));
                    }
                    desired.put(IpAddress.parse("10.140.0.0").plus(s), backends);
                }
                KernelTools.Result created = tools.nft(pod, balancer.transaction(desired, VipTable.ABSENT));
                assertThat(created.ok()).as(created.describe()).isTrue();
                Cost cost = new Cost(balancer, tools, pod, desired);
                // the first round of each warms up; the second is printed
                cost.measure(true);
                cost.measure(false);
                long[] withRule = cost.measure(true);
                long[] elementsOnly = cost.measure(false);
                System.out.printf(Locale.ROOT, "%5d VIPs: backend count changes (map refilled, DNAT rule replaced) %.3f / %.3f ms;"
                        + " a backend swapped (map refilled) %.3f / %.3f ms%n", vips, withRule[CHANGES / 2] / 1e6, withRule[CHANGES * 9 / 10] / 1e6,
                        elementsOnly[CHANGES / 2] / 1e6, elementsOnly[CHANGES * 9 / 10] / 1e6);
            }
        }
    }

    /** One pod's table and the changes made to one of its VIPs. */
    private static final class Cost {
        private final VipLoadBalancer balancer;
        private final KernelTools tools;
        private final NetNamespace pod;
        private final Map<IpAddress, List<IpAddress>> desired;
        private final IpAddress vip;
        private final List<IpAddress> all;
        private VipTable table;

        Cost(VipLoadBalancer balancer, KernelTools tools, NetNamespace pod, Map<IpAddress, List<IpAddress>> desired) {
            this.balancer = balancer;
            this.tools = tools;
            this.pod = pod;
            this.desired = desired;
            this.vip = IpAddress.parse("10.140.0.5");
            this.all = desired.get(vip);
            this.table = balancer.expected(desired);
        }

        /** Sorted durations of {@link #CHANGES} changes, each a backend leaving and coming back or being swapped. */
        long[] measure(boolean countChanges) {
            long[] nanos = new long[CHANGES];
            List<IpAddress> swapped = new ArrayList<>(all);
            swapped.set(9, IpAddress.parse("10.139.0.1"));
            for (int i = 0; i < CHANGES; i++) {
                desired.put(vip, i % 2 == 1 ? all : countChanges ? all.subList(0, 9) : swapped);
                List<String> lines = balancer.transaction(Map.of(vip, desired.get(vip)), balancer.only(table, java.util.Set.of(vip)));
                assertThat(tools.nftSendsAsOneBatch(lines)).as("%s", lines).isTrue();
                long start = System.nanoTime();
                KernelTools.Result r = tools.nft(pod, lines);
                nanos[i] = System.nanoTime() - start;
                assertThat(r.ok()).as(r.describe()).isTrue();
                table = balancer.expected(table, java.util.Set.of(vip), Map.of(vip, desired.get(vip)));
            }
            Arrays.sort(nanos);
            return nanos;
        }
    }
}
