package dev.berth.api.containers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.http.ApiException;
import dev.berth.api.http.ApiRequest;
import dev.berth.api.http.Hijack;
import dev.berth.api.http.Json;
import dev.berth.api.http.ResourceHandler;
import dev.berth.api.http.Responses;
import dev.berth.api.http.StdStreamWriter;
import dev.berth.engine.containers.Container;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.engine.containers.EngineException;
import dev.berth.engine.containers.JsonLog;
import dev.berth.engine.containers.StatsSampler;
import dev.berth.cgroups.Stats;
import dev.berth.api.http.ResponseStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import dev.berth.api.http.ResponseStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The containers group of the Docker Engine API (moby v1.50 swagger shapes) over {@link
 * ContainerEngine}: create, json (list), {id}/json (inspect), start, stop, restart, kill, wait,
 * attach (hijacked), logs, rename, resize, pause, unpause, top, update, prune, delete. Streams run
 * on virtual threads: the handler threads never wait for a container.
 */
public final class ContainersHandler extends ResourceHandler {
    private static final Pattern ONE = Pattern.compile("/containers/([^/]+)(/[a-z]+)?");
    private final ContainerEngine engine;

    private final dev.berth.engine.containers.ContainerCommits commits;

    public ContainersHandler(ContainerEngine engine) {
        this.engine = engine;
        this.commits = new dev.berth.engine.containers.ContainerCommits(engine);
    }

    @Override
    protected boolean handle(ChannelHandlerContext ctx, ApiRequest req) throws Exception {
        String path = req.path();
        if (!path.startsWith("/containers/") && !path.equals("/commit")) return false;
        try {
            return route(ctx, req, path);
        } catch (EngineException e) {
            throw switch (e.kind()) {
                case NOT_FOUND -> ApiException.notFound(e.getMessage());
                case CONFLICT -> ApiException.conflict(e.getMessage());
                case INVALID -> ApiException.badRequest(e.getMessage());
                case NOT_MODIFIED -> new ApiException(HttpResponseStatus.NOT_MODIFIED, e.getMessage());
                case SYSTEM -> ApiException.internal(e.getMessage());
            };
        }
    }

    private boolean route(ChannelHandlerContext ctx, ApiRequest req, String path) throws Exception {
        HttpMethod m = req.method();
        boolean post = m.equals(HttpMethod.POST), get = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
        if (path.equals("/containers/create")) {
            if (!post) return false;
            create(ctx, req);
            return true;
        }
        if (path.equals("/containers/json")) {
            if (!get) return false;
            list(ctx, req);
            return true;
        }
        if (path.equals("/commit")) {
            if (!post) return false;
            commit(ctx, req);
            return true;
        }
        if (path.equals("/containers/prune")) {
            if (!post) return false;
            prune(ctx, req);
            return true;
        }
        Matcher mt = ONE.matcher(path);
        if (!mt.matches()) return false;
        String id = mt.group(1), action = mt.group(2) == null ? "" : mt.group(2).substring(1);
        switch (action) {
            case "" -> {
                if (!m.equals(HttpMethod.DELETE)) return false;
                if (bool(req, "link")) throw ApiException.badRequest("links are not supported");
                engine.remove(id, bool(req, "force"), bool(req, "v"));
                noContent(ctx, req);
            }
            case "json" -> {
                if (!get) return false;
                Responses.json(ctx, req, HttpResponseStatus.OK, withSize(engine.inspect(id), bool(req, "size")));
            }
            case "start" -> {
                if (!post) return false;
                if (req.param("checkpoint") != null && !req.param("checkpoint").isEmpty()) throw ApiException.badRequest("checkpoints are not supported");
                engine.start(id);
                noContent(ctx, req);
            }
            case "stop", "restart" -> {
                if (!post) return false;
                Integer t = intParam(req, "t");
                if (action.equals("stop")) engine.stop(id, t, req.param("signal"));
                else engine.restart(id, t, req.param("signal"));
                noContent(ctx, req);
            }
            case "kill" -> {
                if (!post) return false;
                engine.kill(id, req.param("signal"));
                noContent(ctx, req);
            }
            case "wait" -> {
                if (!post) return false;
                waitFor(ctx, req, id);
            }
            case "attach" -> {
                if (!post) return false;
                attach(ctx, req, id);
            }
            case "logs" -> {
                if (!get) return false;
                logs(ctx, req, id);
            }
            case "rename" -> {
                if (!post) return false;
                engine.rename(id, req.param("name"));
                noContent(ctx, req);
            }
            case "resize" -> {
                if (!post) return false;
                Integer h = intParam(req, "h"), w = intParam(req, "w");
                engine.resize(id, h == null ? 0 : h, w == null ? 0 : w);
                Responses.send(ctx, req, HttpResponseStatus.OK, Responses.TEXT, new byte[0], null);
            }
            case "pause", "unpause" -> {
                if (!post) return false;
                if (action.equals("pause")) engine.pause(id);
                else engine.unpause(id);
                noContent(ctx, req);
            }
            case "stats" -> {
                if (!get) return false;
                stats(ctx, req, id);
            }
            case "archive" -> {
                if (!get && !m.equals(HttpMethod.PUT)) return false;
                archive(ctx, req, id);
            }
            case "changes" -> {
                if (!get) return false;
                Responses.json(ctx, req, HttpResponseStatus.OK, commits.changes(id));
            }
            case "export" -> {
                if (!get) return false;
                export(ctx, req, id);
            }
            case "top" -> {
                if (!get) return false;
                Responses.json(ctx, req, HttpResponseStatus.OK, engine.top(id, req.param("ps_args")));
            }
            case "update" -> {
                if (!post) return false;
                List<String> warnings = engine.update(id, body(req));
                ObjectNode o = Json.object();
                ArrayNode w = o.putArray("Warnings");
                warnings.forEach(w::add);
                Responses.json(ctx, req, HttpResponseStatus.OK, o);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void noContent(ChannelHandlerContext ctx, ApiRequest req) {
        Responses.send(ctx, req, HttpResponseStatus.NO_CONTENT, Responses.TEXT, new byte[0], null);
    }

    static boolean bool(ApiRequest req, String name) {
        String v = req.param(name);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    static Integer intParam(ApiRequest req, String name) {
        String v = req.param(name);
        if (v == null || v.isEmpty()) return null;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid value for " + name + ": " + v);
        }
    }

    static JsonNode body(ApiRequest req) {
        if (req.body().length == 0) return Json.object();
        try {
            return Json.MAPPER.readTree(req.body());
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("invalid JSON in the request body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable request body: " + e.getMessage());
        }
    }

    /** POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=… with the config to merge as the body. */
    private void commit(ChannelHandlerContext ctx, ApiRequest req) {
        String container = req.param("container");
        if (container == null || container.isEmpty()) throw ApiException.badRequest("container is required");
        JsonNode cfg = body(req);
        String pause = req.param("pause");
        List<String> changes = new java.util.ArrayList<>();
        for (String c : req.params("changes")) for (String line : c.split("\n")) if (!line.isBlank()) changes.add(line);
        String id = commits.commit(container, req.param("repo"), req.param("tag"), req.param("comment"), req.param("author"),
                changes, cfg, pause == null || pause.isEmpty() || bool(req, "pause"));
        ObjectNode o = Json.object();
        o.put("Id", id);
        Responses.json(ctx, req, HttpResponseStatus.CREATED, o);
    }

    /** GET /containers/{id}/export: the container's file system as a tar (its overlay, without volumes or bind mounts). */
    private void export(ChannelHandlerContext ctx, ApiRequest req, String id) throws IOException {
        Container c = engine.get(id);
        Path snap = engine.snapshotRoot(c.id);
        ContainerArchive a = new ContainerArchive(snap, snap, id);
        ResponseStream out = new ResponseStream(ctx, req, "application/x-tar");
        try (OutputStream body = out.body()) {
            a.export(body);
        } catch (IOException | RuntimeException e) {
            if (!out.started()) throw e;
            ctx.channel().close();   // a tar cut short: the client sees a truncated body, never a valid tar
            return;
        }
        out.end();
    }

    private void create(ChannelHandlerContext ctx, ApiRequest req) {
        JsonNode b = body(req);
        dev.berth.engine.trace.OpTrace.phase("parse");
        if (!b.isObject()) throw ApiException.badRequest("invalid JSON in the request body: a container config must be an object");
        if (req.body().length == 0) throw ApiException.badRequest("config cannot be empty in order to create a container");
        ContainerEngine.Created c = engine.create(req.param("name"), (ObjectNode) b);
        ObjectNode o = Json.object();
        o.put("Id", c.id());
        ArrayNode w = o.putArray("Warnings");
        c.warnings().forEach(w::add);
        Responses.json(ctx, req, HttpResponseStatus.CREATED, o);
    }

    private static ObjectNode withSize(ObjectNode o, boolean size) {
        if (size) {
            o.put("SizeRw", 0);
            o.put("SizeRootFs", 0);
        }
        return o;
    }

    // ---- list ----------------------------------------------------------------------------------


    private static final List<String> HEALTH = List.of("starting", "healthy", "unhealthy", "none");
    private static final List<String> STATUSES = List.of("created", "restarting", "running", "removing", "paused", "exited", "dead");

    static boolean matches(Container c, ObjectNode s, Map<String, List<String>> f) {
        for (var e : f.entrySet()) {
            List<String> vals = e.getValue();
            if (vals.isEmpty()) continue;
            boolean any = false;
            for (String v : vals) {
                boolean ok = switch (e.getKey()) {
                    case "id" -> c.id.startsWith(v);
                    case "name" -> {
                        String n = c.name();
                        try {
                            yield Pattern.compile(v).matcher(n).find() || Pattern.compile(v).matcher(n.substring(1)).find();
                        } catch (RuntimeException ex) {
                            throw ApiException.badRequest("invalid filter 'name=" + v + "'");
                        }
                    }
                    case "status" -> {
                        if (!STATUSES.contains(v)) throw ApiException.badRequest("invalid filter 'status=" + v + "'");
                        yield c.status().equals(v);
                    }
                    case "label" -> {
                        int i = v.indexOf('=');
                        JsonNode labels = s.path("Labels");
                        yield i < 0 ? labels.has(v) : labels.path(v.substring(0, i)).asText("\0").equals(v.substring(i + 1));
                    }
                    case "ancestor" -> {
                        String ref = s.path("Image").asText(), img = c.image();
                        yield v.equals(ref) || ContainerEngineRefs.sameImage(v, ref) || img.equals(v) || img.startsWith("sha256:" + v)
                                || (v.startsWith("sha256:") && img.startsWith(v));
                    }
                    case "exited" -> c.status().equals("exited") && String.valueOf(c.exitCode()).equals(v);
                    case "volume" -> s.path("Mounts").findValuesAsText("Source").contains(v) || s.path("Mounts").findValuesAsText("Name").contains(v)
                            || s.path("Mounts").findValuesAsText("Destination").contains(v);
                    case "network" -> s.path("HostConfig").path("NetworkMode").asText().equals(v);
                    case "health" -> {
                        if (!HEALTH.contains(v)) throw ApiException.badRequest("Unrecognised filter value for health: " + v);
                        var h = c.health();
                        yield v.equals(h == null ? "none" : h.status());
                    }
                    case "before", "since", "isolation", "is-task", "publish", "expose" -> true;
                    default -> throw ApiException.badRequest("invalid filter '" + e.getKey() + "'");
                };
                if (ok) {
                    any = true;
                    if (!e.getKey().equals("label")) break;
                } else if (e.getKey().equals("label")) {
                    return false; // every label filter must hold
                }
            }
            if (!any) return false;
        }
        return true;
    }

    private void list(ChannelHandlerContext ctx, ApiRequest req) {
        Map<String, List<String>> f = req.filters();
        boolean all = bool(req, "all");
        Integer limit = intParam(req, "limit");
        if (limit != null && limit > 0) all = true;
        if (f.containsKey("status") || f.containsKey("exited")) all = true;
        ArrayNode out = Json.array();
        int n = 0;
        for (Container c : engine.list()) {
            if (!all && !c.running() && !c.restarting()) continue; // dockerd: a restarting container is running
            ObjectNode s = engine.summary(c);
            if (!matches(c, s, f)) continue;
            if (bool(req, "size")) {
                s.put("SizeRw", 0);
                s.put("SizeRootFs", 0);
            }
            out.add(s);
            if (limit != null && limit > 0 && ++n >= limit) break;
        }
        dev.berth.engine.trace.OpTrace.phase("summaries");
        Responses.json(ctx, req, HttpResponseStatus.OK, out);
        dev.berth.engine.trace.OpTrace.phase("write");
    }

    private void prune(ChannelHandlerContext ctx, ApiRequest req) {
        Map<String, List<String>> f = req.filters();
        for (String k : f.keySet()) if (!k.equals("label") && !k.equals("until")) throw ApiException.badRequest("invalid filter '" + k + "'");
        Map<String, List<String>> labels = f.containsKey("label") ? Map.of("label", f.get("label")) : Map.of();
        List<String> ids = engine.prune(c -> matches(c, engine.summary(c), labels));
        ObjectNode o = Json.object();
        ArrayNode a = o.putArray("ContainersDeleted");
        ids.forEach(a::add);
        o.put("SpaceReclaimed", 0);
        Responses.json(ctx, req, HttpResponseStatus.OK, o);
    }

    // ---- wait ----------------------------------------------------------------------------------

    /** Headers at once (the CLI waits for them before it starts the container), the body at the end. */
    private void waitFor(ChannelHandlerContext ctx, ApiRequest req, String id) {
        var f = engine.waitFor(id, req.param("condition"));
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        Responses.headers(r, req, Responses.JSON);
        r.headers().set("Transfer-Encoding", "chunked");
        Channel ch = ctx.channel();
        ctx.writeAndFlush(r);
        f.whenComplete((code, err) -> {
            if (!ch.isActive()) return;
            ObjectNode o = Json.object();
            o.put("StatusCode", err == null && code != null ? code : -1);
            if (err != null) o.putObject("Error").put("Message", String.valueOf(err.getMessage()));
            else o.putNull("Error");
            ch.write(new DefaultHttpContent(Unpooled.wrappedBuffer(Responses.jsonBytes(o))));
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        });
    }

    // ---- archive (docker cp) ---------------------------------------------------------------------

    /** HEAD (stat), GET (tar of the path) and PUT (extract a tar into a directory) of {@code /containers/{id}/archive}. */
    private void archive(ChannelHandlerContext ctx, ApiRequest req, String id) throws IOException {
        String path = req.param("path");
        if (path == null || path.isEmpty()) throw ApiException.badRequest("path is required");
        Container c = engine.get(id);
        ContainerArchive a = new ContainerArchive(engine.filesystemRoot(c.id), engine.snapshotRoot(c.id), id);
        if (req.method().equals(HttpMethod.PUT)) {
            if (c.hostConfig().path("ReadonlyRootfs").asBoolean(false))
                throw new ApiException(HttpResponseStatus.FORBIDDEN, "container rootfs is marked read-only");
            try (InputStream in = req.bodyStream()) {
                a.extract(path, in, bool(req, "noOverwriteDirNonDir"), bool(req, "copyUIDGID"),
                        Path.of(System.getProperty("java.io.tmpdir")));
            }
            Responses.send(ctx, req, HttpResponseStatus.OK, Responses.TEXT, new byte[0], null);
            return;
        }
        ContainerArchive.PathStat st = a.stat(path);
        if (req.method().equals(HttpMethod.HEAD)) {
            io.netty.handler.codec.http.HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders();
            h.set(ContainerArchive.STAT_HEADER, st.header());
            Responses.send(ctx, req, HttpResponseStatus.OK, Responses.TEXT, new byte[0], h);
            return;
        }
        ResponseStream out = new ResponseStream(ctx, req, "application/x-tar").header(ContainerArchive.STAT_HEADER, st.header());
        try (OutputStream body = out.body()) {
            a.archive(path, st, body);
        } catch (IOException | RuntimeException e) {
            if (!out.started()) throw e;
            ctx.channel().close();   // a tar cut short: the client sees a truncated body, never a valid tar
            return;
        }
        out.end();
    }

    // ---- attach --------------------------------------------------------------------------------

    private void attach(ChannelHandlerContext ctx, ApiRequest req, String id) {
        Container c = engine.get(id);
        boolean logs = bool(req, "logs"); // the log replayed first
        boolean stdin = bool(req, "stdin"), stdout = bool(req, "stdout"), stderr = bool(req, "stderr");
        boolean stream = bool(req, "stream");
        byte[] keys = dev.berth.api.http.DetachKeys.of(req.param("detachKeys"), "detach");
        boolean tty = c.tty();
        boolean openStdin = c.config().path("OpenStdin").asBoolean(false);
        StdinPump pump = stdin && openStdin && stream ? new StdinPump(c.id) : null;
        // with a TTY, the detach keys on stdin end the attach (the container runs on), as dockerd
        dev.berth.api.http.DetachKeys.Scanner esc = tty && pump != null ? new dev.berth.api.http.DetachKeys.Scanner(keys) : null;
        Hijack.Input input = new Hijack.Input() {
            @Override public void data(ByteBuf buf) {
                if (pump == null) return;
                byte[] b = ByteBufUtil.getBytes(buf);
                if (esc == null) {
                    pump.offer(b);
                    return;
                }
                boolean was = esc.detached();
                b = esc.feed(b);
                if (b.length > 0) pump.offer(b);
                if (!was && esc.detached()) {
                    pump.offer(StdinPump.GONE);
                    ctx.channel().close();
                }
            }
            @Override public void halfClosed() { if (pump != null) pump.offer(StdinPump.EOF); }
            @Override public void closed() { if (pump != null) pump.offer(StdinPump.GONE); }
        };
        Hijack.upgrade(ctx, req, StdStreamWriter.contentType(!tty), input).whenComplete((ch, err) -> {
            if (err != null) return;
            if (pump != null) {
                pump.channel = ch;
                Thread.ofVirtual().name("attach-stdin-" + c.id.substring(0, 12)).start(pump);
            }
            Thread.ofVirtual().name("attach-" + c.id.substring(0, 12)).start(() -> {
                StdStreamWriter w = new StdStreamWriter(ch, !tty, false);
                try {
                    engine.attachOutput(c.id, logs, stream, e -> {
                        if ((e.stream() == 1 && !stdout) || (e.stream() == 2 && !stderr)) return w.isOpen();
                        return w.write(e.stream(), e.data());
                    }, ch::isActive);
                } catch (IOException | RuntimeException e) {
                    // the client or the container is gone
                } finally {
                    w.end();
                }
            });
        });
    }

    /**
     * The client's stdin to the monitor's control socket, off the event loop: the connection to the
     * monitor is made at the first byte (the container may not run yet when attach comes).
     */
    private final class StdinPump implements Runnable {
        static final byte[] EOF = new byte[0], GONE = new byte[0];
        private final String id;
        private final LinkedBlockingQueue<byte[]> q = new LinkedBlockingQueue<>();
        volatile Channel channel;

        StdinPump(String id) { this.id = id; }

        void offer(byte[] b) {
            q.add(b);
            Channel ch = channel;
            if (ch != null && q.size() > 64) ch.config().setAutoRead(false);
        }

        @Override
        public void run() {
            ContainerEngine.Control ctl = null;
            try {
                for (;;) {
                    byte[] b = q.take();
                    if (b == GONE) return;
                    if (ctl == null) ctl = connect();
                    if (ctl == null) return;
                    if (b == EOF) {
                        ctl.closeStdin();
                        return;
                    }
                    ctl.stdin(b, 0, b.length);
                    Channel ch = channel;
                    if (ch != null && q.size() < 16 && !ch.config().isAutoRead()) ch.config().setAutoRead(true);
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                // the monitor or the client is gone
            } finally {
                if (ctl != null) {
                    try {
                        ctl.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }

        private ContainerEngine.Control connect() throws InterruptedException {
            Channel ch = channel;
            for (int i = 0; i < 600 && (ch == null || ch.isActive()); i++) {
                try {
                    return engine.control(id);
                } catch (IOException | EngineException e) {
                    Thread.sleep(100); // not started yet
                }
            }
            return null;
        }
    }

    // ---- logs ----------------------------------------------------------------------------------

    static final DateTimeFormatter NANO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

    /** since/until as the CLI sends them: unix seconds with an optional fraction; RFC 3339 too. */
    static Instant time(ApiRequest req, String name) {
        String v = req.param(name);
        if (v == null || v.isEmpty() || v.equals("0")) return null;
        try {
            BigDecimal d = new BigDecimal(v);
            long s = d.longValue();
            long nanos = d.subtract(BigDecimal.valueOf(s)).movePointRight(9).longValue();
            return Instant.ofEpochSecond(s, nanos);
        } catch (NumberFormatException e) {
            try {
                return Instant.parse(v);
            } catch (RuntimeException e2) {
                throw ApiException.badRequest("invalid value for " + name + ": " + v);
            }
        }
    }

    private void logs(ChannelHandlerContext ctx, ApiRequest req, String id) {
        Container c = engine.get(id);
        boolean stdout = bool(req, "stdout"), stderr = bool(req, "stderr");
        if (!stdout && !stderr) throw ApiException.badRequest("Bad parameters: you must choose at least one stream");
        boolean follow = bool(req, "follow"), timestamps = bool(req, "timestamps");
        boolean details = bool(req, "details"); // dockerd: the entry's attrs (none kept here) and a space before the line
        Instant since = time(req, "since"), until = time(req, "until");
        String t = req.param("tail");
        int tail;
        if (t == null || t.isEmpty() || t.equals("all")) tail = -1;
        else {
            try {
                tail = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                tail = -1; // dockerd: anything else means all
            }
        }
        boolean tty = c.tty();
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        Responses.headers(r, req, StdStreamWriter.contentType(!tty));
        r.headers().set("Transfer-Encoding", "chunked");
        Channel ch = ctx.channel();
        ctx.writeAndFlush(r);
        int tl = tail;
        Thread.ofVirtual().name("logs-" + c.id.substring(0, 12)).start(() -> {
            StdStreamWriter w = new StdStreamWriter(ch, !tty, true);
            try {
                engine.logs(c.id, since, until, tl, follow, e -> {
                    if ((e.stream() == 1 && !stdout) || (e.stream() == 2 && !stderr)) return w.isOpen();
                    byte[] data = e.data();
                    if (details) {
                        byte[] all = new byte[data.length + 1];
                        all[0] = ' ';
                        System.arraycopy(data, 0, all, 1, data.length);
                        data = all;
                    }
                    if (timestamps) {
                        byte[] p = (NANO.format(e.instant()) + " ").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                        byte[] all = new byte[p.length + data.length];
                        System.arraycopy(p, 0, all, 0, p.length);
                        System.arraycopy(data, 0, all, p.length, data.length);
                        data = all;
                    }
                    return w.write(e.stream(), data);
                }, ch::isActive);
            } catch (IOException | RuntimeException e) {
                // the client or the container is gone
            } finally {
                w.end();
            }
        });
    }

    // ---- stats ---------------------------------------------------------------------------------

    /**
     * GET /containers/{id}/stats: ContainerStatsResponse. stream (default true): one object a second,
     * flushed, until the client goes away or the container stops; stream=false: one object with
     * precpu_stats from a sample a second earlier (one-shot: without it). Not running: zeros.
     */
    private void stats(ChannelHandlerContext ctx, ApiRequest req, String id) {
        String sp = req.param("stream");
        boolean stream = sp == null || sp.isEmpty() || bool(req, "stream");
        boolean oneShot = bool(req, "one-shot");
        if (stream && oneShot) throw ApiException.badRequest("cannot have stream=true and one-shot=true");
        StatsSampler sampler = engine.stats(id);
        Container c = sampler.container();
        Channel ch = ctx.channel();
        ResponseStream out = new ResponseStream(ctx, req, "application/json");
        Thread.ofVirtual().name("stats-" + c.id.substring(0, 12)).start(() -> {
            try {
                if (!stream) {
                    StatsSampler.Sample pre = null, now = sampler.sample();
                    if (now.cgroup() != null && !oneShot) {
                        pre = now;
                        Thread.sleep(1000);
                        now = sampler.sample();
                    }
                    out.line(statsJson(c, now, now.cgroup() == null ? null : pre).toString());
                } else {
                    StatsSampler.Sample pre = null;
                    while (ch.isActive()) {
                        StatsSampler.Sample now = sampler.sample();
                        if (now.cgroup() == null && pre != null) break; // it stopped
                        out.line(statsJson(c, now, pre).toString());
                        if (now.cgroup() == null) break; // not running: one zero object, as dockerd
                        pre = now;
                        Thread.sleep(1000);
                    }
                }
                out.end();
            } catch (IOException e) {
                // the client went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                try {
                    if (out.started()) out.fail(e.getMessage());
                    else Responses.json(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, Json.object().put("message", String.valueOf(e.getMessage())));
                } catch (IOException | RuntimeException ignored) {
                    ch.close();
                }
            }
        });
    }

    static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    /** One ContainerStatsResponse (moby v1.50); {@code pre} may be null (precpu_stats zeros). */
    static ObjectNode statsJson(Container c, StatsSampler.Sample s, StatsSampler.Sample pre) {
        ObjectNode o = Json.object();
        Stats st = s.cgroup();
        o.put("name", c.name());
        o.put("id", c.id);
        o.put("read", st == null ? ZERO_TIME : NANO.format(s.read()));
        o.put("preread", pre == null || pre.cgroup() == null ? ZERO_TIME : NANO.format(pre.read()));
        ObjectNode pids = o.putObject("pids_stats");
        ObjectNode blk = o.putObject("blkio_stats");
        for (String k : List.of("io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
                "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive")) {
            blk.putNull(k);
        }
        o.put("num_procs", 0);
        o.putObject("storage_stats");
        o.set("cpu_stats", cpuJson(s));
        o.set("precpu_stats", cpuJson(pre));
        ObjectNode mem = o.putObject("memory_stats");
        if (st == null) return o;
        pids.put("current", st.pids().current());
        if (st.pids().limit() > 0 && st.pids().limit() != Long.MAX_VALUE) pids.put("limit", st.pids().limit());
        blk.set("io_service_bytes_recursive", blkio(st.blkio().ioServiceBytesRecursive()));
        blk.set("io_serviced_recursive", blkio(st.blkio().ioServicedRecursive()));
        Stats.MemoryEntry u = st.memory().usage();
        mem.put("usage", u.usage());
        if (u.max() > 0) mem.put("max_usage", u.max());
        ObjectNode raw = mem.putObject("stats");
        new java.util.TreeMap<>(st.memory().raw()).forEach(raw::put);
        if (u.failcnt() > 0) mem.put("failcnt", u.failcnt());
        long limit = u.limit() <= 0 ? Long.MAX_VALUE : u.limit();
        if (s.machineMemory() > 0 && limit > s.machineMemory()) limit = s.machineMemory(); // as dockerd: no limit shows the host's memory
        mem.put("limit", limit);
        if (!s.networks().isEmpty()) {
            // moby's NetworkStats per interface, from the container's veth counters (omitted without any, as dockerd)
            ObjectNode nets = o.putObject("networks");
            s.networks().forEach((ifname, n) -> {
                ObjectNode x = nets.putObject(ifname);
                x.put("rx_bytes", n.rxBytes());
                x.put("rx_packets", n.rxPackets());
                x.put("rx_errors", n.rxErrors());
                x.put("rx_dropped", n.rxDropped());
                x.put("tx_bytes", n.txBytes());
                x.put("tx_packets", n.txPackets());
                x.put("tx_errors", n.txErrors());
                x.put("tx_dropped", n.txDropped());
            });
        }
        return o;
    }

    private static ObjectNode cpuJson(StatsSampler.Sample s) {
        ObjectNode cpu = Json.object();
        ObjectNode use = cpu.putObject("cpu_usage");
        Stats st = s == null ? null : s.cgroup();
        if (st == null) {
            use.put("total_usage", 0);
            use.put("usage_in_kernelmode", 0);
            use.put("usage_in_usermode", 0);
            ObjectNode t = cpu.putObject("throttling_data");
            t.put("periods", 0);
            t.put("throttled_periods", 0);
            t.put("throttled_time", 0);
            return cpu;
        }
        Stats.CpuUsage cu = st.cpu().usage();
        use.put("total_usage", cu.total());
        if (!cu.percpu().isEmpty()) {
            ArrayNode a = use.putArray("percpu_usage");
            cu.percpu().forEach(a::add);
        }
        use.put("usage_in_kernelmode", cu.kernel());
        use.put("usage_in_usermode", cu.user());
        cpu.put("system_cpu_usage", s.systemCpu());
        cpu.put("online_cpus", s.onlineCpus());
        ObjectNode t = cpu.putObject("throttling_data");
        t.put("periods", st.cpu().throttling().periods());
        t.put("throttled_periods", st.cpu().throttling().throttledPeriods());
        t.put("throttled_time", st.cpu().throttling().throttledTime());
        return cpu;
    }

    private static ArrayNode blkio(List<Stats.BlkioEntry> l) {
        ArrayNode a = Json.array();
        for (Stats.BlkioEntry e : l) {
            ObjectNode x = a.addObject();
            x.put("major", e.major());
            x.put("minor", e.minor());
            x.put("op", e.op());
            x.put("value", e.value());
        }
        return a;
    }

    /** Image name comparisons for the ancestor filter ("busybox" is "busybox:latest"). */
    static final class ContainerEngineRefs {
        static boolean sameImage(String a, String b) {
            return norm(a).equals(norm(b));
        }

        static String norm(String r) {
            String s = r.startsWith("docker.io/library/") ? r.substring(18) : r.startsWith("docker.io/") ? r.substring(10) : r;
            int slash = s.lastIndexOf('/');
            return s.indexOf(':', slash + 1) >= 0 || s.contains("@") ? s : s + ":latest";
        }
    }
}
