package dev.berth.image.store;

import dev.berth.image.Images;
import dev.berth.image.api.ImageReference;
import dev.berth.image.api.Platform;
import java.nio.file.Path;

/** Run in a child JVM by CrashSafetyTest, which kills it with SIGKILL mid-import. */
public final class CrashChild {
    public static void main(String[] a) {
        Images.open(Path.of(a[0])).importRootfs(Path.of(a[1]), ImageReference.parse("crash:1"), Platform.DEFAULT);
    }
}
