package dev.berth.cli.berth;

import dev.berth.image.Images;
import dev.berth.image.api.ImageReference;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "images", aliases = {"ls"}, description = "List images.")
final class ImagesCommand implements Callable<Integer> {
    @Mixin Global global;
    @Option(names = {"-q", "--quiet"}, description = "only image IDs") boolean quiet;
    @Option(names = "--digests", description = "show manifest digests") boolean digests;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var list = global.images().list();
        if (quiet) { list.forEach(s -> out.println(s.id().shortHex())); return 0; }
        String fmt = digests ? "%-40s %-20s %-71s %-12s %-25s %s%n" : "%-40s %-20s %s%-12s %-25s %s%n";
        out.printf(fmt, "REPOSITORY", "TAG", digests ? "DIGEST" : "", "IMAGE ID", "CREATED", "SIZE");
        for (Images.Summary s0 : list) {
            Images.Summary s = new Images.Summary(s0.names(), s0.manifest(), s0.id(), created(s0.created()), s0.size());
            if (s.names().isEmpty()) out.printf(fmt, "<none>", "<none>", digests ? s.manifest() : "", s.id().shortHex(), s.created(), ProgressPrinter.human(s.size()));
            for (ImageReference r : s.names()) {
                String repo = r.familiar().substring(0, r.familiar().length() - r.tag().length() - 1);
                out.printf(fmt, repo, r.tag(), digests ? s.manifest() : "", s.id().shortHex(), s.created(), ProgressPrinter.human(s.size()));
            }
        }
        return 0;
    }

    /** ISO time to the second ({@code 2026-11-26T01:31:29Z}). */
    static String created(String iso) {
        if (iso == null || iso.isEmpty()) return "";
        try { return java.time.Instant.parse(iso).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(); }
        catch (java.time.format.DateTimeParseException e) { return iso; }
    }
}
