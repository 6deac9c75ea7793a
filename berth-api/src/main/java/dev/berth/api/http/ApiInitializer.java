package dev.berth.api.http;

import dev.berth.api.containers.ContainersHandler;
import dev.berth.api.images.ImagesHandler;
import dev.berth.api.system.SystemBackend;
import dev.berth.engine.containers.ContainerEngine;
import dev.berth.api.system.SystemHandler;
import dev.berth.engine.images.ImageService;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.EventExecutorGroup;

/**
 * The one pipeline of an API connection: HTTP/1.1 codec, keep-alive, body aggregation, request
 * decoding (version prefix, malformed input), then one handler per resource group, then 404.
 * Resource handlers run on {@code handlers} (they may block on the file system or the engine), not
 * on the event loop; null runs them on the channel's own loop (tests with EmbeddedChannel).
 */
public final class ApiInitializer extends ChannelInitializer<Channel> {
    /** Request line and header limits (dockerd: Go's 1 MiB header default; the CLI sends a few hundred bytes). */
    static final int MAX_INITIAL_LINE = 16 * 1024, MAX_HEADERS = 256 * 1024;
    /** Largest request body aggregated (container create JSON and the like; streams will bypass it). */
    public static final int MAX_BODY = 4 * 1024 * 1024;

    private final SystemBackend system;
    private final EventExecutorGroup handlers;
    private final ContainerEngine containers;
    private final dev.berth.engine.exec.ExecService exec;
    private final dev.berth.engine.containers.DebugRoots debugRoots;
    private final ImageService images;

    public ApiInitializer(SystemBackend system, EventExecutorGroup handlers) {
        this(system, handlers, null, null);
    }

    /**
     * @param images the images service, or null (no /images routes: tests of the system group)
     * @param containers the container engine, or null (no containers and exec groups)
     */
    public ApiInitializer(SystemBackend system, EventExecutorGroup handlers, ImageService images, ContainerEngine containers) {
        this.system = system;
        this.handlers = handlers;
        this.images = images;
        this.containers = containers;
        this.exec = containers == null ? null
                : new dev.berth.engine.exec.ExecService(new dev.berth.engine.exec.EngineTargets(containers));
        this.debugRoots = containers == null ? null : new dev.berth.engine.containers.DebugRoots(containers);
        // health probes run as exec instances of this service (dockerd's exec_create/exec_start/exec_die)
        if (containers != null) new dev.berth.engine.health.HealthMonitor(containers, exec);
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192));
        p.addLast("keep-alive", new HttpServerKeepAliveHandler());
        p.addLast("streamed-bodies", new StreamedBodies()); // image load/import bodies bypass the aggregator
        p.addLast("aggregate", new ApiAggregator(MAX_BODY));
        p.addLast("request", new RequestDecoder());
        p.addLast(handlers, "system", new SystemHandler(system));
        if (images != null) p.addLast(handlers, "images", new ImagesHandler(images));
        if (containers != null) p.addLast(handlers, "containers", new ContainersHandler(containers));
        if (exec != null) p.addLast(handlers, "exec", new dev.berth.api.exec.ExecHandler(exec, debugRoots::root));
        if (containers != null) p.addLast(handlers, "networks", new dev.berth.api.networks.NetworksHandler(containers));
        if (containers != null) p.addLast(handlers, "events", new dev.berth.api.events.EventsHandler(containers.journal()));
        if (containers != null) p.addLast(handlers, "volumes", new dev.berth.api.volumes.VolumesHandler(containers.volumes()));
        if (containers != null && images != null) p.addLast(handlers, "df", new dev.berth.api.system.DataUsageHandler(images, containers));
        p.addLast("not-found", new NotFoundHandler());
    }
}
