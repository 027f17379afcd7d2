package io.swarmnet.agent.datapath;

/**
 * A network namespace's nf_tables ruleset generation ({@code NFTA_GEN_ID} of {@code NFT_MSG_NEWGEN}): a 32-bit counter
 * of the namespace that every committed transaction, whoever sends it, moves on by one. Listings, refused transactions
 * and transactions that change nothing leave it where it is. So while it stays where it was when a table was read (or
 * when the agent's own commit left the table as it knows it), nothing can have changed that table.
 *
 * @param id the kernel's counter (1 … 2³²−1), or −1: not known
 */
public record NftGeneration(long id) {

    public static final NftGeneration UNKNOWN = new NftGeneration(-1);

    private static final long WRAP = 0xFFFF_FFFFL;

    /** The generation as the kernel writes it (an unsigned 32-bit number; 0 is never one). */
    static NftGeneration of(int kernelId) {
        long id = Integer.toUnsignedLong(kernelId);
        return id == 0 ? UNKNOWN : new NftGeneration(id);
    }

    public boolean known() {
        return id > 0;
    }

    /**
     * What a table known at this generation is known at after {@code commit}, the generation a commit of the agent's
     * own reached: that commit's, when it is the very next one (no one else committed between), else unknown.
     */
    NftGeneration then(NftGeneration commit) {
        return known() && commit.known() && commit.id == next() ? commit : UNKNOWN;
    }

    /** True when this is known and {@code now} is the same generation: nothing was committed since. */
    boolean unchangedAt(NftGeneration now) {
        return known() && now.id == id;
    }

    // the kernel skips 0 when its counter wraps
    private long next() {
        return id == WRAP ? 1 : id + 1;
    }
}
