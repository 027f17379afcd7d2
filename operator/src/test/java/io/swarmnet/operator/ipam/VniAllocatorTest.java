package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.api.net.Vni;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VniAllocatorTest {

    private static final VniRange SMALL = VniRange.parse("5000-5002");

    @Test
    void automaticIdsStayClearOfTheCommonCnisIds() {
        Vni first = VniAllocator.next(VniRange.DEFAULT, Map.of()).orElseThrow();
        assertThat(first).isEqualTo(new Vni(1_048_576));
        // flannel (1; 4096 on Windows), Calico (4096, IPv6 6096), Docker swarm (4096 up), Cilium's cluster-local identities (<= 65535)
        for (int cni : new int[] {1, 4096, 6096, 65_535}) {
            assertThat(VniRange.DEFAULT.contains(new Vni(cni))).as("VNI %d", cni).isFalse();
        }
    }

    @Test
    void skipsTakenIdsAndFillsHoles() {
        assertThat(VniAllocator.next(SMALL, Map.of(new Vni(5000), "a", new Vni(5002), "b"))).contains(new Vni(5001));
        // an explicit id outside the range does not move the automatic range
        assertThat(VniAllocator.next(SMALL, Map.of(new Vni(42), "a"))).contains(new Vni(5000));
    }

    @Test
    void aFullRangeGivesNothing() {
        assertThat(VniAllocator.next(SMALL, Map.of(new Vni(5000), "a", new Vni(5001), "b", new Vni(5002), "c"))).isEmpty();
    }

    @Test
    void namesTheHolderOfARequestedId() {
        assertThat(VniAllocator.holder(new Vni(5000), Map.of(new Vni(5000), "default/other"))).contains("default/other");
        assertThat(VniAllocator.holder(new Vni(5001), Map.of(new Vni(5000), "default/other"))).isEmpty();
    }

    @Test
    void rangeTextIsFirstDashLastInsideTheVniSpace() {
        assertThat(VniRange.parse(" 4097 - 8191 ")).isEqualTo(new VniRange(new Vni(4097), new Vni(8191)));
        assertThat(VniRange.parse("7-7").size()).isEqualTo(1);
        assertThatThrownBy(() -> VniRange.parse("4096")).hasMessageContaining("first-last");
        assertThatThrownBy(() -> VniRange.parse("0-10")).hasMessageContaining("1-16777215");
        assertThatThrownBy(() -> VniRange.parse("100-16777216")).hasMessageContaining("1-16777215");
        assertThatThrownBy(() -> VniRange.parse("9000-8000")).hasMessageContaining("empty");
    }
}
