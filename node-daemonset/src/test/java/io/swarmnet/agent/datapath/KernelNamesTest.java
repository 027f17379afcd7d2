package io.swarmnet.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.agent.desired.NetworkKey;
import io.swarmnet.agent.desired.PodRef;
import io.swarmnet.api.net.Vni;
import org.junit.jupiter.api.Test;

class KernelNamesTest {

    private final KernelNames names = new KernelNames("abcdefg");

    @Test
    void deviceNamesFitTheKernelLimitWhateverTheObjectNames() {
        String longName = "a-very-long-service-name-that-goes-on-and-on-for-sixty-three-ch";
        PodRef pod = new PodRef(longName, longName + ".17.abcdefghijkl", "0b6f4e8e-5a3c-4f8a-9d7e-7f2b1a9c3d4e");
        NetworkKey network = new NetworkKey(longName, longName);

        assertThat(names.bridgePort(pod, network)).hasSizeLessThanOrEqualTo(KernelNames.MAX_DEVICE_NAME);
        assertThat(names.bridge(new Vni(Vni.MAX))).hasSizeLessThanOrEqualTo(KernelNames.MAX_DEVICE_NAME);
        assertThat(names.vxlan(new Vni(Vni.MAX))).hasSizeLessThanOrEqualTo(KernelNames.MAX_DEVICE_NAME);
    }

    @Test
    void ourObjectsAreRecognisedAndOthersAreNot() {
        Vni vni = new Vni(4097);
        assertThat(names.isOurVxlan(names.vxlan(vni))).isTrue();
        assertThat(names.isOurBridgePort(names.bridgePort(new PodRef("ns", "p", "u"), new NetworkKey("ns", "n")))).isTrue();
        assertThat(names.vniOfNetworkNamespace(names.networkNamespace(vni))).contains(vni);
        assertThat(names.isOurDevice("eth0")).isFalse();
        assertThat(names.isOurDevice("abcdefgh-x001001")).isFalse();
        assertThat(new KernelNames("ab1").isOurDevice(new KernelNames("ab10").vxlan(vni))).isFalse();
        assertThat(new KernelNames("ab1").vniOfNetworkNamespace(new KernelNames("ab10").networkNamespace(vni))).isEmpty();
    }

    @Test
    void bridgePortNamesAreStableAndDifferPerPodAndNetwork() {
        PodRef a = new PodRef("ns", "web.1", "uid-a");
        PodRef b = new PodRef("ns", "web.1", "uid-b");
        NetworkKey n = new NetworkKey("ns", "net");
        assertThat(names.bridgePort(a, n)).isEqualTo(names.bridgePort(a, n)).isNotEqualTo(names.bridgePort(b, n))
                .isNotEqualTo(names.bridgePort(a, new NetworkKey("ns", "other")));
    }

    @Test
    void aPrefixThatWouldOverflowDeviceNamesIsRefused() {
        assertThatThrownBy(() -> new KernelNames("abcdefgh")).hasMessageContaining("1-7 characters");
        assertThatThrownBy(() -> new KernelNames("Swn")).hasMessageContaining("[a-z0-9]");
    }
}
