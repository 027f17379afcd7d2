package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.Cidr;
import org.junit.jupiter.api.Test;

class AddressOwnerTest {

    @Test
    void logsShowEachOwnerAsBeforeTheOwnersWereTyped() {
        assertThat(AddressOwner.task("web-1-x7k2p")).hasToString("task:web-1-x7k2p");
        assertThat(AddressOwner.attachedPod("cache-0")).hasToString("pod:cache-0");
        assertThat(AddressOwner.virtualIps("web")).hasToString("vip:web");
    }

    @Test
    void aTaskAPodAndAServiceOfOneNameHoldAnAddressEach() throws Exception {
        Cidr cidr = Cidr.parse("10.0.9.0/24");
        AllocatableNetwork net = new AllocatableNetwork("default", "net", cidr, cidr, cidr.first().plus(1));
        AddressLedger ledger = AddressLedger.empty();

        var task = ledger.allocate(net, AddressOwner.task("web"));
        var pod = ledger.allocate(net, AddressOwner.attachedPod("web"));
        var vip = ledger.allocate(net, AddressOwner.virtualIps("web"));

        assertThat(AddressOwner.task("web")).isEqualTo(new AddressOwner(AddressOwner.Kind.TASK, "web"))
                .isNotEqualTo(AddressOwner.attachedPod("web")).isNotEqualTo(AddressOwner.virtualIps("web"));
        assertThat(ledger.holdings("default", "net")).containsEntry(task, AddressOwner.task("web"))
                .containsEntry(pod, AddressOwner.attachedPod("web")).containsEntry(vip, AddressOwner.virtualIps("web"))
                .hasSize(3);
    }

    @Test
    void anOwnerWithoutANameIsRefusedSayingWhichNameIsMissing() {
        assertThatThrownBy(() -> AddressOwner.task(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an address owner needs the task pod's name (metadata.name), got none");
        assertThatThrownBy(() -> AddressOwner.attachedPod(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an address owner needs the attached pod's name (metadata.name), got \" \"");
        assertThatThrownBy(() -> AddressOwner.virtualIps("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an address owner needs the service's name (metadata.name), got \"\"");
    }
}
