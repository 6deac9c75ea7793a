package dev.berth.image.api;

/** {@code os/arch[/variant]}; default linux/amd64. */
public record Platform(String os, String architecture, String variant) {
    public static final Platform DEFAULT = new Platform("linux", "amd64", null);

    public Platform {
        if (os == null || os.isBlank() || architecture == null || architecture.isBlank())
            throw new ImageException.InvalidReference("invalid platform: " + os + "/" + architecture);
        if (variant != null && variant.isBlank()) variant = null;
    }

    public static Platform parse(String s) {
        if (s == null) return DEFAULT;
        String[] p = s.trim().split("/");
        if (p.length < 2 || p.length > 3) throw new ImageException.InvalidReference("invalid platform (want os/arch[/variant]): " + s);
        return new Platform(p[0], normaliseArch(p[1]), p.length == 3 ? p[2] : null);
    }

    private static String normaliseArch(String a) {
        return switch (a) { case "x86_64", "x86-64" -> "amd64"; case "aarch64" -> "arm64"; default -> a; };
    }

    public boolean matches(String os, String arch, String variant) {
        if (!this.os.equals(os) || !this.architecture.equals(arch)) return false;
        return this.variant == null || this.variant.equals(variant)
                || (variant == null && this.variant.equals("v8") && arch.equals("arm64"));
    }

    @Override public String toString() { return os + "/" + architecture + (variant != null ? "/" + variant : ""); }
}
