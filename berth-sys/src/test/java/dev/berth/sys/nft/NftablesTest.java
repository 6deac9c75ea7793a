package dev.berth.sys.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** libnftables against the real kernel, in a table of its own (unique name, deleted after). */
@Tag("root")
class NftablesTest {

    @Test
    void runsATransactionListsJsonAndReportsErrors() {
        assertThat(Nftables.available()).as(Nftables.unavailableReason()).isTrue();
        String t = "berth_t_sys_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        try (Nftables nft = new Nftables()) {
            try {
                nft.run("add table inet " + t + "\n"
                        + "add set inet " + t + " s { type ifname; }\n"
                        + "add element inet " + t + " s { \"brX\" }\n");
                String json = nft.list("list table inet " + t);
                assertThat(json).startsWith("{\"nftables\":").contains("\"name\": \"s\"").contains("brX");

                // A batch with an error in its last line applies nothing of its first lines.
                assertThatThrownBy(() -> nft.run("add element inet " + t + " s { \"brY\" }\n"
                        + "delete element inet " + t + " s { \"nope\" }\n"))
                        .isInstanceOfSatisfying(NftException.class, e -> {
                            assertThat(e.nftError()).contains("Error:");
                            assertThat(e.getMessage()).startsWith("nftables: ").contains("No such file or directory");
                        });
                assertThat(nft.list("list set inet " + t + " s")).contains("brX").doesNotContain("brY");

                assertThatThrownBy(() -> nft.run("this is not nft"))
                        .isInstanceOf(NftException.class).hasMessageContaining("syntax error");
            } finally {
                nft.run("add table inet " + t + "\ndelete table inet " + t + "\n");
            }
            assertThatThrownBy(() -> nft.list("list table inet " + t)).isInstanceOf(NftException.class);
        }
    }

    @Test
    void closedContextRefusesCommands() {
        Nftables nft = new Nftables();
        nft.close();
        nft.close();
        assertThatThrownBy(() -> nft.run("list tables")).isInstanceOf(IllegalStateException.class);
    }
}
