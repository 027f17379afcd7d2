package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.netns.TestNamespaces;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pod's VIP table when VIPs are balanced at the socket, in a real namespace: no NAT chain, only the VIPs without
 * backends (refused), read back as ours; a table of the NAT layout is not, and is replaced whole — and back.
 */
@Tag("kernel")
class SocketVipTableTest {

    private static final KernelNames NAMES = new KernelNames("svt");
    private static final IpAddress WEB = IpAddress.parse("10.77.0.2");
    private static final IpAddress EMPTY = IpAddress.parse("10.77.0.3");
    private static final Map<IpAddress, List<IpAddress>> VIPS = Map.of(WEB, List.of(IpAddress.parse("10.77.1.1")), EMPTY, List.of());

    private final VipLoadBalancer socket = new VipLoadBalancer(NAMES, VipBalancing.SOCKET);
    private final VipLoadBalancer nat = new VipLoadBalancer(NAMES, VipBalancing.NFT);
    private final KernelStateParser socketParser = new KernelStateParser(NAMES, VipBalancing.SOCKET);
    private final KernelStateParser natParser = new KernelStateParser(NAMES, VipBalancing.NFT);
    private TestNamespaces namespaces;
    private KernelTools tools;
    private NetNamespace pod;

    @BeforeEach
    void start() throws IOException {
        KernelAvailability.assumeKernelTestsCanRun("ip", "nft");
        namespaces = new TestNamespaces("svt");
        tools = new KernelTools(Duration.ofSeconds(20));
        pod = NetNamespace.of(namespaces.create("pod"));
    }

    @AfterEach
    void stop() throws IOException {
        KernelAvailability.closeAll(tools, namespaces);
    }

    @Test
    void atTheSocketTheTableHasNoNatAndOnlyTheRefusedVipsAndIsReadBackAsOurs() throws IOException {
        apply(socket.transaction(VIPS, VipTable.ABSENT));
        String listed = namespaces.exec("pod", "nft", "list", "table", "ip", NAMES.vipTable()).output();
        assertThat(listed).contains("chain refuse").contains("chain isolate").contains(EMPTY.toString())
                .doesNotContain("type nat").doesNotContain("dnat").doesNotContain(WEB.toString());
        VipTable read = socketParser.vipTable(json());
        assertThat(read.skeleton()).as("ours, at the socket").isTrue();
        assertThat(read).isEqualTo(socket.expected(VIPS));
        assertThat(socket.transaction(VIPS, read)).as("nothing to do").isEmpty();
        assertThat(natParser.vipTable(json()).skeleton()).as("not the NAT layout's skeleton").isFalse();
    }

    @Test
    void switchingLayoutsReplacesTheTableWholeEachWay() throws IOException {
        apply(nat.transaction(VIPS, VipTable.ABSENT));
        List<String> toSocket = socket.transaction(VIPS, socketParser.vipTable(json()));
        assertThat(toSocket).first().asString().startsWith("delete table");
        apply(toSocket);
        assertThat(socketParser.vipTable(json())).isEqualTo(socket.expected(VIPS));

        List<String> back = nat.transaction(VIPS, natParser.vipTable(json()));
        assertThat(back).first().asString().startsWith("delete table");
        apply(back);
        assertThat(natParser.vipTable(json())).isEqualTo(nat.expected(VIPS));
    }

    private void apply(List<String> lines) {
        KernelTools.Result result = tools.nft(pod, lines);
        assertThat(result.ok()).as("%s: %s", lines, result.describe()).isTrue();
    }

    private String json() throws IOException {
        return namespaces.exec("pod", "nft", "-j", "list", "table", "ip", NAMES.vipTable()).output();
    }
}
