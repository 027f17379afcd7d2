package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.IpAddress;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class CtnetlinkMessagesTest {

    private static final int NESTED = 0x8000;

    @Test
    void readsTheAddressesOfADumpedEntryAndSendsBackItsTupleZoneAndIdToDeleteIt() {
        byte[] original = attribute(1 | NESTED, tuple("10.0.1.10", "10.0.1.2", 17));
        byte[] reply = attribute(2 | NESTED, tuple("10.0.1.7", "10.0.1.10", 17));
        byte[] status = attribute(3, new byte[] {0, 0, 0, 8});
        byte[] id = attribute(12, new byte[] {0, 0, 0, 42});
        ByteBuffer datagram = ByteBuffer.wrap(concat(message(0x100, concat(original, reply, status, id)), message(3, new byte[4])));

        CtnetlinkMessages.Reply read = CtnetlinkMessages.read(datagram);

        assertThat(read.done()).isTrue();
        assertThat(read.entries()).hasSize(1);
        CtnetlinkMessages.Entry entry = read.entries().get(0);
        assertThat(entry.protocol()).isEqualTo(17);
        assertThat(entry.originalDestination()).isEqualTo(IpAddress.parse("10.0.1.2"));
        assertThat(entry.replySource()).isEqualTo(IpAddress.parse("10.0.1.7"));
        assertThat(entry.identity()).as("original tuple and id, not the reply tuple or status").isEqualTo(concat(original, id));
        byte[] delete = CtnetlinkMessages.deleteRequest(7, entry);
        assertThat(ByteBuffer.wrap(delete).order(ByteOrder.nativeOrder()).getShort(4)).as("IPCTNL_MSG_CT_DELETE").isEqualTo((short) 0x102);
        assertThat(ByteBuffer.wrap(delete, 20, delete.length - 20).slice()).isEqualTo(ByteBuffer.wrap(concat(original, id)));
    }

    @Test
    void anErrorAnswerCarriesItsErrnoAndErrnoZeroIsAnAcknowledgement() {
        ByteBuffer enoent = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(-2);
        ByteBuffer ok = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0);

        assertThat(CtnetlinkMessages.read(ByteBuffer.wrap(message(2, enoent.array()))).error()).isEqualTo(2);
        assertThat(CtnetlinkMessages.read(ByteBuffer.wrap(message(2, ok.array()))).acknowledged()).isTrue();
    }

    @Test
    void staleFlowsKeepTcpOnlyWhenTold() {
        StaleVipFlows draining = StaleVipFlows.parse("delete orig-dst 10.0.1.2 reply-src 10.0.1.7 keep-tcp");
        IpAddress vip = IpAddress.parse("10.0.1.2");
        IpAddress backend = IpAddress.parse("10.0.1.7");

        assertThat(draining.matches(17, vip, backend)).isTrue();
        assertThat(draining.matches(6, vip, backend)).isFalse();
        assertThat(StaleVipFlows.parse(draining.line())).isEqualTo(draining);
        assertThat(new StaleVipFlows(vip, backend, false).matches(6, vip, backend)).isTrue();
        assertThat(new StaleVipFlows(vip, backend, false).matches(17, vip, IpAddress.parse("10.0.1.8"))).isFalse();
    }

    private static byte[] tuple(String source, String destination, int protocol) {
        byte[] ip = attribute(1 | NESTED, concat(attribute(1, IpAddress.parse(source).bytes()), attribute(2, IpAddress.parse(destination).bytes())));
        byte[] proto = attribute(2 | NESTED, concat(attribute(1, new byte[] {(byte) protocol}), attribute(2, new byte[] {0x30, 0x39}),
                attribute(3, new byte[] {0x1b, 0x58})));
        return concat(ip, proto);
    }

    private static byte[] attribute(int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate((4 + payload.length + 3) & ~3).order(ByteOrder.nativeOrder());
        b.putShort((short) (4 + payload.length)).putShort((short) type).put(payload);
        return b.array();
    }

    private static byte[] message(int type, byte[] body) {
        boolean netfilter = type >= 0x100;
        int length = 16 + (netfilter ? 4 : 0) + body.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        b.putInt(length).putShort((short) type).putShort((short) 2).putInt(1).putInt(0);
        if (netfilter) {
            b.put((byte) 2).put((byte) 0).putShort((short) 0);
        }
        return b.put(body).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
