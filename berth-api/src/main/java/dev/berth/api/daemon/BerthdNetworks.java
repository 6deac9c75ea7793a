package dev.berth.api.daemon;

import dev.berth.engine.networks.NetworkService;
import java.io.IOException;
import java.util.List;

/** berthd's network flags checked, and the network service they configure. */
final class BerthdNetworks {
    private BerthdNetworks() {}

    static Berthd.NetFlags flags(String bridge, String bip, List<String> pools, int mtu, String nftTable) {
        String b = bridge == null ? NetworkService.Options.DEFAULT_BRIDGE : bridge;
        if (b.isEmpty() || b.length() > 15 || !b.matches("[a-zA-Z0-9_.-]+")) {
            throw new IllegalArgumentException("--bridge " + b + ": at most 15 of [a-zA-Z0-9_.-]");
        }
        String ip = bip == null ? NetworkService.Options.DEFAULT_BIP : bip;
        NetworkService.checkBip(ip);
        for (String p : pools) NetworkService.checkPool(p);
        if (mtu != 0 && (mtu < 68 || mtu > 65535)) throw new IllegalArgumentException("--mtu " + mtu + ": out of 68..65535");
        String t = nftTable == null ? "berth" : nftTable;
        if (!t.matches("[a-zA-Z_][a-zA-Z0-9_]{0,31}")) throw new IllegalArgumentException("--nft-table " + t + ": a name of [a-zA-Z0-9_]");
        return new Berthd.NetFlags(b, ip, List.copyOf(pools), mtu, t);
    }

    static NetworkService open(Berthd.Options o) throws IOException {
        Berthd.NetFlags f = o.net();
        NetworkService s = NetworkService.open(o.root(), o.execRoot(), f.bridge(), f.bip(), f.pools(), f.mtu(), f.nftTable());
        s.start();
        return s;
    }
}
