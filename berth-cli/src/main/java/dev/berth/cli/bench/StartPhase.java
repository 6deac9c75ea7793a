package dev.berth.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Start latency: the wall time of one container running /bin/true, start to exit and removal, for
 * each runtime beside the others in the same rounds (order rotating): bin/berth-runc run, runc run,
 * crun run, podman run --rm, docker run --rm through bin/berthd, Docker's own dockerd when
 * installed, and the kernel's floor (unshare of the same namespaces). A peer that is absent or
 * fails its probe run is skipped with a line saying why.
 */
public final class StartPhase {
    private StartPhase() {}

    record Peer(String label, String command, Supplier<List<String>> argv, Map<String, String> env) {}

    public static PhaseResult run(Context ctx) {
        PhaseResult r = new PhaseResult("start");
        Path bundle = Bundles.create(ctx, ctx.work.resolve("bundle-start"), List.of("/bin/true"), List.of(), null);
        List<Peer> peers = new ArrayList<>();
        Containers berth = new Containers(ctx, "start-berth");
        peers.add(new Peer("berth-runc run", "bin/berth-runc --root R run --bundle B ID",
                () -> berth.argv("run", "--bundle", bundle.toString(), ctx.name("s")), null));
        for (String rt : List.of("runc", "crun")) {
            String exe = Proc.which(rt);
            if (exe == null) { r.skipped.add(rt + ": not installed"); continue; }
            Path root = ctx.work.resolve("state-" + rt);
            ctx.onClose(() -> deleteAll(exe, root));
            if (rt.equals("crun")) {
                // crun 1.8 refuses ociVersion 1.2.0 ("unknown version specified"): the same config declared 1.0.2.
                Path conf = bundle.resolve("config-crun.json");
                Bundles.editConfig(bundle, c -> {});
                try {
                    Files.writeString(conf, Files.readString(bundle.resolve("config.json")).replace("\"1.2.0\"", "\"1.0.2\""));
                } catch (java.io.IOException e) { throw new BenchException(conf + ": " + e.getMessage()); }
                peers.add(new Peer("crun run", "crun --root R run --bundle B --config B/config-crun.json ID",
                        () -> List.of(exe, "--root", root.toString(), "run", "--bundle", bundle.toString(), "--config", conf.toString(), ctx.name("s")), null));
                continue;
            }
            peers.add(new Peer(rt + " run", rt + " --root R run --bundle B ID",
                    () -> List.of(exe, "--root", root.toString(), "run", "--bundle", bundle.toString(), ctx.name("s")), null));
        }
        peers.add(new Peer("kernel floor (unshare)", "unshare -pfmuin --fork /bin/true",
                () -> List.of("unshare", "-pfmuin", "--fork", "/bin/true"), null));
        Path image = null;
        {
            image = ctx.work.resolve("image");
            Proc.run(120, ctx.script("mk-oci-image.sh").toString(), image.toString(), "busybox:latest").check();
        }
        if (Proc.which("podman") == null) r.skipped.add("podman: not installed");
        else podman(ctx, image, peers, r);
        if (!Files.isExecutable(ctx.repo.resolve("bin/berthd"))) r.skipped.add("docker via berthd: bin/berthd not found");
        else if (Proc.which("docker") == null) r.skipped.add("docker via berthd: no docker CLI on PATH");
        else berthd(ctx, image, peers, r);
        if (Proc.which("dockerd") == null) r.skipped.add("Docker's own dockerd: not installed here (no peer figure)");
        else dockerd(ctx, image, peers, r);

        // Probe: each peer once; one that fails is skipped with its error.
        List<Peer> live = new ArrayList<>();
        for (Peer p : peers) {
            Proc.Result res = Proc.run(120, p.argv().get(), p.env());
            if (res.ok()) live.add(p);
            else r.skipped.add(p.label() + ": its probe run failed: " + Proc.tail(res.err().isBlank() ? res.out() : res.err()));
        }
        int rounds = ctx.rounds(10, 40), warm = 2;
        Figure f = new Figure("start", "Start latency: a container running /bin/true, start to exit (and removal)", "cdf", "ms");
        f.loadBefore = Machine.loadAverage();
        Map<Peer, List<Double>> samples = new LinkedHashMap<>();
        for (Peer p : live) samples.put(p, new ArrayList<>());
        for (int i = -warm; i < rounds; i++) {
            for (int k = 0; k < live.size(); k++) {
                Peer p = live.get(Math.floorMod(k + i, live.size()));
                Proc.Result res = Proc.run(120, p.argv().get(), p.env());
                if (!res.ok()) throw new BenchException(p.label() + " failed in round " + (i + 1) + ": " + Proc.tail(res.err()));
                if (i >= 0) samples.get(p).add(res.millis());
            }
            if (i >= 0 && ((i + 1) % 5 == 0 || i + 1 == rounds)) ctx.progress("start", "round " + (i + 1) + "/" + rounds);
        }
        f.loadAfter = Machine.loadAverage();
        f.runs = rounds;
        for (var e : samples.entrySet()) f.add(new Figure.Series(e.getKey().label(), e.getKey().command(), "ms", e.getValue()));
        f.note("wall time measured by the bench around each command (fork/exec of the command included, the same for every peer); "
                + warm + " warm-up rounds not counted; peers interleaved, order rotating each round");
        f.note("bin/berth-runc's repeated runs of one config take its warm path (a template replayed by the launcher without a JVM)");
        r.figures.add(f);
        return r;
    }

    static void podman(Context ctx, Path image, List<Peer> peers, PhaseResult r) {
        Path pr = shortDir(ctx, "p");   // podman refuses a runroot longer than 50 characters
        String cg = "/" + ctx.tag + "-podman";
        List<String> pm = List.of("podman", "--root", pr.resolve("root").toString(), "--runroot", pr.resolve("run").toString(),
                "--cgroup-manager", "cgroupfs", "--events-backend", "none", "--storage-driver", "overlay");
        ctx.onClose(() -> {
            List<String> rm = new ArrayList<>(pm); rm.addAll(List.of("rm", "-af", "-t", "0"));
            Proc.run(120, rm);
            List<String> reset = new ArrayList<>(pm); reset.addAll(List.of("system", "reset", "-f"));
            Proc.run(120, reset);
            Proc.sh(60, "grep -o ' " + pr + "[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null; true");
            ctx.removeCgroups(cg.substring(1));
        });
        List<String> load = new ArrayList<>(pm); load.addAll(List.of("load", "-q", "-i", image.resolve("image.tar").toString()));
        Proc.Result l = Proc.run(180, load);
        if (!l.ok()) { r.skipped.add("podman: load of the busybox image failed: " + Proc.tail(l.err())); return; }
        List<String> run = new ArrayList<>(pm);
        run.addAll(List.of("run", "--rm", "--network", "none", "--cgroup-parent", cg, "docker.io/library/busybox:latest", "true"));
        peers.add(new Peer("podman run --rm", String.join(" ", run).replace(pr.toString(), "P"), () -> run, null));
    }

    /** A short-named private directory under /tmp (for sockets and podman's runroot), removed at the end. */
    static Path shortDir(Context ctx, String prefix) {
        try {
            Path d = Files.createTempDirectory(Path.of("/tmp"), ctx.tag.substring(0, Math.min(ctx.tag.length(), 12)) + prefix);
            ctx.onClose(() -> {
                Proc.sh(60, "grep -o ' " + d + "[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null; true");
                Proc.run(120, "rm", "-rf", "--one-file-system", d.toString());
            });
            return d;
        } catch (java.io.IOException e) {
            throw new BenchException("cannot create a directory under /tmp: " + e.getMessage());
        }
    }

    /** Docker's own daemon (installed, e.g. Debian docker.io) on a private socket, data root and exec root, no iptables, no bridge. */
    static void dockerd(Context ctx, Path image, List<Peer> peers, PhaseResult r) {
        Path d = shortDir(ctx, "d");
        String sock = "unix://" + d.resolve("docker.sock");
        try {
            ProcessBuilder pb = new ProcessBuilder("dockerd", "-H", sock, "--data-root", d.resolve("data").toString(), "--exec-root", d.resolve("x").toString(),
                    "--pidfile", d.resolve("docker.pid").toString(), "--iptables=false", "--ip6tables=false", "--bridge=none",
                    "--cgroup-parent", "/" + ctx.tag + "-dockerd").redirectErrorStream(true).redirectOutput(d.resolve("dockerd.log").toFile());
            Process p = pb.start();
            Map<String, String> env = Map.of("DOCKER_HOST", sock);
            ctx.onClose(() -> {
                Proc.sh(120, "ids=$(DOCKER_HOST=" + sock + " docker ps -aq 2>/dev/null); [ -n \"$ids\" ] && DOCKER_HOST=" + sock + " docker rm -f $ids >/dev/null 2>&1; true");
                p.destroy();
                try { if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                ctx.removeCgroups(ctx.tag + "-dockerd");
            });
            boolean up = false;
            for (int i = 0; i < 300 && p.isAlive() && !up; i++) {
                up = Proc.run(30, List.of("docker", "version"), env).ok();
                if (!up) Thread.sleep(200);
            }
            if (!up) { r.skipped.add("Docker's own dockerd: did not answer within 60 s: " + Proc.tail(Files.readString(d.resolve("dockerd.log")))); return; }
            Proc.Result l = Proc.run(180, List.of("docker", "load", "-q", "-i", image.resolve("image.tar").toString()), env);
            if (!l.ok()) { r.skipped.add("Docker's own dockerd: docker load failed: " + Proc.tail(l.err())); return; }
            String v = Proc.run(30, List.of("dockerd", "--version")).out().strip();
            peers.add(new Peer("docker run --rm (dockerd)", "DOCKER_HOST=unix://D/docker.sock docker run --rm --network none busybox true (" + v + ")",
                    () -> List.of("docker", "run", "--rm", "--network", "none", "busybox", "true"), env));
        } catch (java.io.IOException e) {
            r.skipped.add("Docker's own dockerd: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void berthd(Context ctx, Path image, List<Peer> peers, PhaseResult r) {
        Path d = ctx.work.resolve("berthd");
        String sock = "unix://" + d.resolve("berth.sock");
        try {
            Files.createDirectories(d);
            // its own default bridge, subnet and nftables table (never berth0 / table berth: a user's berthd may run here)
            String bridge = ("bd" + ctx.tag).substring(0, Math.min(15, 2 + ctx.tag.length())), table = ctx.tag + "_berthd";
            String bip = NetPhase.freeSubnet(ProcessHandle.current().pid() + 1000) + ".1/24";
            ProcessBuilder pb = new ProcessBuilder(ctx.repo.resolve("bin/berthd").toString(), "-H", sock, "--root", d.resolve("root").toString(),
                    "--exec-root", d.resolve("run").toString(), "--bridge", bridge, "--bip", bip, "--nft-table", table)
                    .redirectErrorStream(true).redirectOutput(d.resolve("berthd.log").toFile());
            pb.environment().put("BERTH_CGROUP_PARENT", ctx.tag + "-berthd");
            Process p = pb.start();
            Map<String, String> env = Map.of("DOCKER_HOST", sock);
            ctx.onClose(() -> {
                Proc.sh(120, "ids=$(DOCKER_HOST=" + sock + " docker ps -aq 2>/dev/null); [ -n \"$ids\" ] && DOCKER_HOST=" + sock + " docker rm -f $ids >/dev/null 2>&1; true");
                p.destroy();
                try { if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                Proc.sh(60, "grep -o ' " + d + "[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null; true");
                ctx.removeCgroups(ctx.tag + "-berthd");
                Proc.run(30, "ip", "link", "del", bridge);
                Proc.run(30, "nft", "delete", "table", "inet", table);
            });
            boolean up = false;
            for (int i = 0; i < 300 && p.isAlive() && !up; i++) {
                up = Proc.run(30, List.of("docker", "version"), env).ok();
                if (!up) Thread.sleep(200);
            }
            if (!up) { r.skipped.add("docker via berthd: berthd did not answer within 60 s: " + Proc.tail(Files.readString(d.resolve("berthd.log")))); return; }
            Proc.Result l = Proc.run(180, List.of("docker", "load", "-q", "-i", image.resolve("image.tar").toString()), env);
            if (!l.ok()) { r.skipped.add("docker via berthd: docker load failed: " + Proc.tail(l.err())); return; }
            peers.add(new Peer("docker run --rm (berthd)", "DOCKER_HOST=" + sock.replace(d.toString(), "D") + " docker run --rm busybox true",
                    () -> List.of("docker", "run", "--rm", "busybox", "true"), env));
        } catch (java.io.IOException e) {
            r.skipped.add("docker via berthd: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteAll(String exe, Path root) {
        if (!Files.isDirectory(root)) return;
        for (String id : Proc.run(60, exe, "--root", root.toString(), "list", "-q").out().split("\\s+"))
            if (!id.isBlank()) Proc.run(60, exe, "--root", root.toString(), "delete", "--force", id);
    }
}
