package io.swarmnet.operator.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.api.net.Vni;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VniAllocatorTest {

    @Test
    void automaticIdsStartAt4096() {
        assertThat(VniAllocator.next(Map.of())).contains(new Vni(4096));
    }

    @Test
    void skipsTakenIdsAndFillsHoles() {
        assertThat(VniAllocator.next(Map.of(new Vni(4096), "a", new Vni(4098), "b"))).contains(new Vni(4097));
        // an explicit id below 4096 does not move the automatic range
        assertThat(VniAllocator.next(Map.of(new Vni(42), "a"))).contains(new Vni(4096));
    }

    @Test
    void namesTheHolderOfARequestedId() {
        assertThat(VniAllocator.holder(new Vni(5000), Map.of(new Vni(5000), "default/other"))).contains("default/other");
        assertThat(VniAllocator.holder(new Vni(5001), Map.of(new Vni(5000), "default/other"))).isEmpty();
    }
}
