package dev.berth.image.pedigree;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.image.snapshot.Change;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.tar.Dir;
import java.util.ArrayList;
import java.util.List;

/**
 * What a container changed against its image ({@code berth drift}): the changes {@code diff}
 * finds (the same walk of the overlay's upper layer beside the image's layers, {@link
 * Snapshotter#diffDetailed}), each with its type, mode and size, and the executables called out:
 * an added or changed regular file with an execute bit or the ELF magic. A changed directory is
 * listed as {@code diff} lists it (something below it changed, or its own metadata did).
 */
public final class Drift {
    private Drift() {}

    /** One change: A added, C changed, D deleted; type/mode/size of what the container has now (null for D). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String kind, String path, String type, String mode, Long size, boolean executable, boolean elf) {}

    /** The report: the container, its image, counts, every change sorted by path, the executables among them. */
    public record Report(String container, String image, String manifest, boolean running, int added, int changed, int deleted,
                         List<Entry> changes, List<Entry> executables) {
        public Report { changes = List.copyOf(changes); executables = List.copyOf(executables); }
    }

    /** The drift of container {@code id} (a bundle's name or berthd's container ID): {@code NotFound} names an unknown one. */
    public static Report of(Snapshotter snapshotter, String id) {
        Snapshotter.ContainerInfo ci = snapshotter.info(id);
        List<Entry> all = new ArrayList<>(), exec = new ArrayList<>();
        int a = 0, c = 0, d = 0;
        for (Snapshotter.Detailed x : snapshotter.diffDetailed(id)) {
            Change ch = x.change();
            switch (ch.kind()) { case A -> a++; case C -> c++; case D -> d++; }
            Dir.Stat s = x.stat();
            Entry e = s == null
                    ? new Entry(ch.kind().name(), ch.path(), null, null, null, false, false)
                    : new Entry(ch.kind().name(), ch.path(), type(s), String.format("%04o", s.mode() & 07777), s.isFile() ? s.size() : null,
                            s.isFile() && ((s.mode() & 0111) != 0 || x.elf()), x.elf());
            all.add(e);
            if (e.executable()) exec.add(e);
        }
        return new Report(id, ci.image(), ci.manifest(), !snapshotter.processesIn(id).isEmpty(), a, c, d, all, exec);
    }

    static String type(Dir.Stat s) {
        return switch (s.type()) {
            case 0100000 -> "file";
            case 0040000 -> "dir";
            case 0120000 -> "symlink";
            case 0020000 -> "char-device";
            case 0060000 -> "block-device";
            case 0010000 -> "fifo";
            case 0140000 -> "socket";
            default -> "unknown";
        };
    }
}
