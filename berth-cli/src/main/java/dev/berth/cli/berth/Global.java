package dev.berth.cli.berth;

import dev.berth.image.Images;
import dev.berth.image.store.Store;
import picocli.CommandLine.Option;

/** Options every command takes. */
public final class Global {
    @Option(names = "--root", description = "store root (default $BERTH_ROOT or /var/lib/berth)")
    String root;

    Images images() { return Images.open(Store.defaultRoot(root)); }
}
