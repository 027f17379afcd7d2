package io.swarmnet.agent.encryption.userspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.agent.encryption.ClusterKey;
import io.swarmnet.agent.encryption.PairKeys;
import io.swarmnet.agent.encryption.SecurityAssociation;
import io.swarmnet.api.net.IpAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceStoreTest {

    private static final IpAddress A = IpAddress.parse("192.0.2.1");
    private static final IpAddress B = IpAddress.parse("192.0.2.2");
    private static final IpAddress C = IpAddress.parse("192.0.2.3");
    @TempDir
    Path dir;

    private static SecurityAssociation sa(long generation, IpAddress from, IpAddress to) {
        byte[] material = new byte[ClusterKey.LENGTH];
        material[0] = (byte) generation;
        return PairKeys.derive(new ClusterKey(generation, material), from, to);
    }

    @Test
    void aReopenedStoreContinuesAboveEveryReservation() throws IOException {
        SequenceStore store = SequenceStore.open(dir);
        assertThat(store.used(sa(1, A, B))).as("a new SA has used nothing").isZero();
        store.reserve(sa(1, A, B), SequenceStore.BLOCK);
        store.reserve(sa(1, A, B), 2 * SequenceStore.BLOCK);
        store.reserve(sa(1, A, C), 7);

        SequenceStore reopened = SequenceStore.open(dir);
        assertThat(reopened.used(sa(1, A, B))).isEqualTo(2 * SequenceStore.BLOCK);
        assertThat(reopened.used(sa(1, A, C))).isEqualTo(7);
        assertThat(reopened.used(sa(2, A, B))).as("another generation is another SA").isZero();
    }

    @Test
    void theReceivingSideKeepsItsNumbersInAFileOfItsOwn() throws IOException {
        SequenceStore sent = SequenceStore.open(dir);
        sent.reserve(sa(1, A, B), SequenceStore.BLOCK);
        SequenceStore windows = sent.windows();
        windows.recordAll(java.util.Map.of(sa(1, B, A), 4_242L, sa(1, C, A), 17L));

        SequenceStore reopened = SequenceStore.open(dir).windows();
        assertThat(reopened.used(sa(1, B, A))).isEqualTo(4_242);
        assertThat(reopened.used(sa(1, C, A))).isEqualTo(17);
        assertThat(reopened.used(sa(1, A, B))).as("the sending side's reservation is not a window").isZero();
        assertThat(SequenceStore.open(dir).used(sa(1, A, B))).isEqualTo(SequenceStore.BLOCK);
        assertThat(SequenceStore.open(dir).used(sa(1, B, A))).isZero();
    }

    @Test
    void reservationsStopAtTheLastSequenceNumber() throws IOException {
        SequenceStore store = SequenceStore.open(dir);
        assertThat(store.reserve(sa(1, A, B), SequenceStore.LAST_SEQUENCE + SequenceStore.BLOCK)).isEqualTo(SequenceStore.LAST_SEQUENCE);
    }

    @Test
    void retiredSasAreForgotten() throws IOException {
        SequenceStore store = SequenceStore.open(dir);
        store.reserve(sa(1, A, B), 100);
        store.reserve(sa(2, A, B), 200);
        store.retain(List.of(sa(2, A, B)));
        SequenceStore reopened = SequenceStore.open(dir);
        assertThat(reopened.used(sa(1, A, B))).isZero();
        assertThat(reopened.used(sa(2, A, B))).isEqualTo(200);
        assertThat(Files.readString(dir.resolve("esp-sequences"))).doesNotContain(sa(1, A, B).spiHex()).contains(sa(2, A, B).spiHex());
    }

    @Test
    void aDamagedFileIsRefusedNamingFileAndLine() throws IOException {
        Files.writeString(dir.resolve("esp-sequences"), "192.0.2.1 192.0.2.2 0x00001234 55\n192.0.2.1 192.0.2.2 lots\n");
        assertThatThrownBy(() -> SequenceStore.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("esp-sequences line 2").hasMessageContaining("key rotation");
        Files.writeString(dir.resolve("esp-sequences"), "192.0.2.1 192.0.2.2 0x00001234 many\n");
        assertThatThrownBy(() -> SequenceStore.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("line 1").hasMessageContaining("'many' is not a sequence number");
    }
}
