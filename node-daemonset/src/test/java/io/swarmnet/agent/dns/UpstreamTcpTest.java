package io.swarmnet.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.agent.dns.TruncatingUpstream.Tcp;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

class UpstreamTcpTest {

    /** What one query came to. */
    private static final class Outcome implements UpstreamTcp.Answer {
        final List<String> events = new ArrayList<>();

        @Override
        public void received(byte[] reply) {
            events.add("received");
        }

        @Override
        public void failed() {
            events.add("failed");
        }
    }

    private static byte[] query(String name) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)).toWire();
    }

    @Test
    void queriesBeyondTheConnectionLimitFailAtOnceAndTheOthersAtTheirDeadline() throws Exception {
        try (Selector selector = Selector.open(); TruncatingUpstream silent = new TruncatingUpstream(Map.of(), Tcp.IGNORES)) {
            UpstreamTcp upstream = new UpstreamTcp(selector, silent.address(), 2);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            List<Outcome> outcomes = List.of(new Outcome(), new Outcome(), new Outcome());
            for (Outcome outcome : outcomes) {
                upstream.ask(query("a.example."), deadline, outcome);
            }
            assertThat(outcomes.get(2).events).containsExactly("failed");
            assertThat(outcomes.get(0).events).isEmpty();
            assertThat(upstream.inFlight()).isEqualTo(2);

            upstream.expire(deadline - 1);
            assertThat(upstream.inFlight()).isEqualTo(2);
            upstream.expire(deadline + 1);
            assertThat(outcomes.get(0).events).containsExactly("failed");
            assertThat(outcomes.get(1).events).containsExactly("failed");
            assertThat(upstream.inFlight()).as("connections closed at the deadline, room for new queries").isZero();
            upstream.close();
        }
    }
}
