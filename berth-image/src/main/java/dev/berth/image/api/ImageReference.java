package dev.berth.image.api;

import java.util.regex.Pattern;

/**
 * A normalised image reference {@code registry/repository[:tag][@digest]}, with docker's rules:
 * {@code busybox} is {@code docker.io/library/busybox:latest}; the first component is a registry
 * when it has a dot or a colon or is {@code localhost}.
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern REGISTRY = Pattern.compile("(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");

    public ImageReference {
        if (registry == null || !REGISTRY.matcher(registry).matches())
            throw new ImageException.InvalidReference("invalid registry: " + registry);
        if (repository == null || repository.isEmpty() || repository.length() > 255)
            throw new ImageException.InvalidReference("invalid repository: " + repository);
        for (String c : repository.split("/", -1))
            if (!COMPONENT.matcher(c).matches())
                throw new ImageException.InvalidReference("invalid repository name (lower case letters, digits, separators): " + repository);
        if (tag != null && !TAG.matcher(tag).matches())
            throw new ImageException.InvalidReference("invalid tag: " + tag);
        if (tag == null && digest == null) tag = "latest";
    }

    public static ImageReference parse(String s) {
        if (s == null || s.isBlank()) throw new ImageException.InvalidReference("empty image reference");
        String rest = s.trim();
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String registry = DOCKER_HUB;
        String repo = rest;
        int first = rest.indexOf('/');
        if (first > 0) {
            String head = rest.substring(0, first);
            if (head.contains(".") || head.contains(":") || head.equals("localhost") || !head.equals(head.toLowerCase())) {
                registry = head;
                repo = rest.substring(first + 1);
            }
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) registry = DOCKER_HUB;
        if (registry.equals(DOCKER_HUB) && !repo.contains("/")) repo = "library/" + repo;
        try {
            return new ImageReference(registry, repo, tag, digest);
        } catch (ImageException.InvalidReference e) {
            throw new ImageException.InvalidReference("invalid image reference \"" + s + "\": " + e.getMessage());
        }
    }

    public ImageReference withTag(String t) { return new ImageReference(registry, repository, t, null); }
    public ImageReference withDigest(Digest d) { return new ImageReference(registry, repository, null, d); }

    /** {@code registry/repository}. */
    public String name() { return registry + "/" + repository; }

    /** The tag or digest as used in a manifest URL. */
    public String reference() { return digest != null ? digest.toString() : tag; }

    /** Short form as docker prints it ({@code busybox:latest}). */
    public String familiar() {
        String n = name();
        if (registry.equals(DOCKER_HUB)) n = repository.startsWith("library/") ? repository.substring(8) : repository;
        return n + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    @Override public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
