package io.swarmnet.agent.datapath;

import static io.swarmnet.agent.datapath.DatapathPlannerTest.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.MacAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing what nft 1.0.6 and iproute2 6.1 print (samples captured on this machine). */
class KernelStateParserTest {

    private final KernelStateParser parser = new KernelStateParser(new KernelNames("zq"));

    /** What {@code nft -j list table ip zq_vip} prints for a table with one balanced and one refused VIP. */
    private static final String TABLE = """
                {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
                {"table": {"family": "ip", "name": "zq_vip", "handle": 1}},
                {"map": {"family": "ip", "name": "vips", "table": "zq_vip", "type": "ipv4_addr", "handle": 1, "map": "verdict", "elem": [["10.9.0.100", {"jump": {"target": "v_10_9_0_100"}}]]}},
                {"set": {"family": "ip", "name": "refused", "table": "zq_vip", "type": "ipv4_addr", "handle": 2, "elem": ["10.9.0.101"]}},
                {"map": {"family": "ip", "name": "b_10_9_0_100", "table": "zq_vip", "type": "integer", "handle": 11, "map": "ipv4_addr", "elem": [[1, "10.9.0.3"], [0, "10.9.0.2"], [2, "10.9.0.4"]]}},
                {"chain": {"family": "ip", "table": "zq_vip", "name": "prerouting", "handle": 3, "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
                {"chain": {"family": "ip", "table": "zq_vip", "name": "output", "handle": 4, "type": "nat", "hook": "output", "prio": -100, "policy": "accept"}},
                {"chain": {"family": "ip", "table": "zq_vip", "name": "refuse", "handle": 5, "type": "filter", "hook": "output", "prio": 0, "policy": "accept"}},
                {"chain": {"family": "ip", "table": "zq_vip", "name": "isolate", "handle": 13, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
                {"chain": {"family": "ip", "table": "zq_vip", "name": "v_10_9_0_100", "handle": 10}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "prerouting", "handle": 6, "expr": [{"vmap": {"key": {"payload": {"protocol": "ip", "field": "daddr"}}, "data": "@vips"}}]}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "output", "handle": 7, "expr": [{"vmap": {"key": {"payload": {"protocol": "ip", "field": "daddr"}}, "data": "@vips"}}]}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "refuse", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@refused"}}, {"reject": {"type": "tcp reset"}}]}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "refuse", "handle": 9, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@refused"}}, {"reject": {"type": "icmp", "expr": "port-unreachable"}}]}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "isolate", "handle": 14, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifgroup"}}, "right": 1937206889}}, {"drop": null}]}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "isolate", "handle": 15, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "oifgroup"}}, "right": 1937206889}}, {"drop": null}]}},
                {"rule": {"family": "ip", "table": "zq_vip", "chain": "v_10_9_0_100", "handle": 12, "expr": [{"dnat": {"addr": {"map": {"key": {"numgen": {"mode": "inc", "mod": 3, "offset": 0}}, "data": "@b_10_9_0_100"}}}}]}}]}
                """;
    /** The same table as agents wrote it before internal networks: no isolate chain. */
    private static final String TABLE_WITHOUT_ISOLATE = String.join("\n", TABLE.lines().filter(l -> !l.contains("isolate")).toList());

    @Test
    void readsTheVipTableWeWrote() {
        String json = TABLE;

        VipTable table = parser.vipTable(json);

        assertThat(table.present()).isTrue();
        assertThat(table.skeleton()).isTrue();
        assertThat(table.balanced()).containsEntry(ip("10.9.0.100"), List.of(ip("10.9.0.2"), ip("10.9.0.3"), ip("10.9.0.4")));
        assertThat(table.modulus()).containsEntry(ip("10.9.0.100"), 3);
        assertThat(table.refused()).containsExactly(ip("10.9.0.101"));
    }

    @Test
    void aTableWithoutTheIsolateChainIsNotOurSkeletonSoItIsRebuilt() {
        VipTable table = parser.vipTable(TABLE_WITHOUT_ISOLATE);

        assertThat(table.present()).isTrue();
        assertThat(table.skeleton()).as("an older agent's table: internal networks would stay open").isFalse();
    }

    @Test
    void anIsolateChainMatchingAnotherGroupOrNotDroppingIsNotOurSkeleton() {
        String otherGroup = TABLE.replace("{\"key\": \"oifgroup\"}}, \"right\": 1937206889}", "{\"key\": \"oifgroup\"}}, \"right\": 42}");
        String accepting = TABLE.replace("{\"key\": \"iifgroup\"}}, \"right\": 1937206889}}, {\"drop\": null}",
                "{\"key\": \"iifgroup\"}}, \"right\": 1937206889}}, {\"accept\": null}");
        assertThat(otherGroup).isNotEqualTo(TABLE);
        assertThat(accepting).isNotEqualTo(TABLE);

        assertThat(parser.vipTable(otherGroup).skeleton()).isFalse();
        assertThat(parser.vipTable(accepting).skeleton()).isFalse();
        assertThat(parser.vipTable(TABLE).skeleton()).isTrue();
    }

    @Test
    void noOutputMeansNoTable() {
        assertThat(parser.vipTable("")).isEqualTo(VipTable.ABSENT);
    }

    @Test
    void readsVxlanParametersAddressesAndAliases() {
        String json = """
                [{"ifindex":2,"ifname":"zq-x001001","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"master":"zq-b001001",
                  "operstate":"UNKNOWN","address":"9a:33:8d:c9:61:b1","linkinfo":{"info_kind":"vxlan","info_data":{"id":4097,
                  "local":"192.0.2.9","port":4789,"learning":false,"proxy":true}},"addr_info":[]},
                 {"ifindex":3,"ifname":"eth1","flags":["UP"],"mtu":1450,"address":"02:42:0a:09:00:02","ifalias":"zq:default/net",
                  "linkinfo":{"info_kind":"veth"},"addr_info":[{"family":"inet","local":"10.9.0.2","prefixlen":24},
                  {"family":"inet6","local":"fe80::1","prefixlen":64}]}]
                """;

        Map<String, LinkState> links = parser.links(json);

        assertThat(links.get("zq-x001001").vxlan()).isEqualTo(new LinkState.VxlanParameters(4097, ip("192.0.2.9"), 4789, false, true));
        assertThat(links.get("zq-x001001").master()).isEqualTo("zq-b001001");
        LinkState eth1 = links.get("eth1");
        assertThat(eth1.up()).isTrue();
        assertThat(eth1.alias()).isEqualTo("zq:default/net");
        assertThat(eth1.mac()).isEqualTo(MacAddress.parse("02:42:0a:09:00:02"));
        assertThat(eth1.addresses()).containsExactly(new LinkState.InterfaceAddress(ip("10.9.0.2"), 24));
        assertThat(eth1.group()).as("no group printed").isEqualTo(LinkState.DEFAULT_GROUP);
    }

    @Test
    void readsTheDeviceGroupByNumberOrAsDefault() {
        String json = """
                [{"ifindex":3,"ifname":"eth1","flags":["UP"],"mtu":1450,"group":"1937206889","address":"02:42:0a:09:00:02"},
                 {"ifindex":4,"ifname":"eth2","flags":["UP"],"mtu":1450,"group":"default","address":"02:42:0a:09:00:03"},
                 {"ifindex":5,"ifname":"eth3","flags":["UP"],"mtu":1450,"group":"lab","address":"02:42:0a:09:00:04"}]
                """;

        Map<String, LinkState> links = parser.links(json);

        assertThat(links.get("eth1").group()).isEqualTo(KernelNames.INTERNAL_GROUP);
        assertThat(links.get("eth2").group()).isEqualTo(LinkState.DEFAULT_GROUP);
        assertThat(links.get("eth3").group()).as("a name from a local group file: neither ours nor default").isEqualTo(-1);
    }

    @Test
    void readsNeighboursAndFdbEntriesWithARemoteVtepOnly() {
        assertThat(parser.neighbours("[{\"dst\":\"10.0.9.5\",\"lladdr\":\"02:42:0a:00:09:05\",\"state\":[\"PERMANENT\"]}]"))
                .containsEntry(ip("10.0.9.5"), MacAddress.parse("02:42:0a:00:09:05"));
        assertThat(parser.fdb("""
                [{"mac":"02:42:0a:00:09:05","dst":"192.0.2.12","flags":["self"],"state":"permanent"},
                 {"mac":"9a:33:8d:c9:61:b1","flags":["self"],"state":"permanent"}]
                """)).containsOnly(Map.entry(MacAddress.parse("02:42:0a:00:09:05"), ip("192.0.2.12")));
    }

    @Test
    void readsAMacvlanChildsLowerDeviceByNameInItsNamespaceAndByIndexFromAnother() {
        // ip -d -j addr show (iproute2 6.1): the gateway child beside its VXLAN device, and a task's child in the pod
        String network = """
                [{"ifindex":2,"ifname":"zq-x001001","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"address":"9e:00:00:00:00:01",
                  "linkinfo":{"info_kind":"vxlan","info_data":{"id":4097,"local":"198.18.0.1","port":4789,"learning":false,"proxy":true}},"addr_info":[]},
                 {"ifindex":3,"link":"zq-x001001","ifname":"zq-g001001","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,
                  "address":"96:9d:91:ad:dc:dd","linkinfo":{"info_kind":"macvlan","info_data":{"mode":"bridge","bcqueuelen":1000,"usedbcqueuelen":1000}},
                  "addr_info":[{"family":"inet","local":"10.77.0.1","prefixlen":24}]}]
                """;
        String pod = """
                [{"ifindex":4,"link_index":2,"ifname":"eth1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"address":"02:00:00:00:00:11",
                  "link_netnsid":0,"linkinfo":{"info_kind":"macvlan","info_data":{"mode":"bridge","bcqueuelen":1000,"usedbcqueuelen":1000}},
                  "addr_info":[{"family":"inet","local":"10.77.0.11","prefixlen":24}]}]
                """;

        Map<String, LinkState> inNetwork = parser.links(network);
        LinkState child = parser.links(pod).get("eth1");

        assertThat(inNetwork.get("zq-x001001").index()).isEqualTo(2);
        assertThat(inNetwork.get("zq-x001001").macvlan()).isNull();
        assertThat(inNetwork.get("zq-g001001").macvlan().bridgeModeOn("zq-x001001")).isTrue();
        assertThat(child.kind()).isEqualTo("macvlan");
        assertThat(child.macvlan()).isEqualTo(new LinkState.Macvlan("bridge", null, 2));
        assertThat(child.macvlan().bridgeModeOnIndex(2)).isTrue();
        assertThat(child.macvlan().bridgeModeOnIndex(3)).isFalse();
    }
}
