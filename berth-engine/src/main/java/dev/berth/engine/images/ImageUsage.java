package dev.berth.engine.images;

import java.util.List;

/**
 * Which containers use an image: what {@link ImageService#remove} and prune ask before deleting
 * one (dockerd's 409 conflicts). The containers engine implements it; {@link #NONE} until then.
 */
@FunctionalInterface
public interface ImageUsage {
    /** A container using an image: its full ID and whether it runs (a running one blocks even a forced delete). */
    record User(String containerId, boolean running) {}

    /** The containers created from image {@code imageId} ({@code sha256:<config digest>}), running or not. */
    List<User> users(String imageId);

    ImageUsage NONE = imageId -> List.of();
}
