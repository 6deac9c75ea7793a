package dev.berth.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What this build is: berth's version, the commit and time it was built from (resources written by the build). */
public record BuildInfo(String version, String gitCommit, String buildTime) {

    public static final BuildInfo CURRENT = load();

    private static BuildInfo load() {
        Properties p = new Properties();
        for (String name : new String[] {"build.properties", "git.properties"}) {
            try (InputStream in = BuildInfo.class.getResourceAsStream(name)) {
                if (in != null) p.load(in);
            } catch (IOException e) {
                // a jar without them still answers, with "unknown"
            }
        }
        return new BuildInfo(value(p, "version"), value(p, "gitCommit"), value(p, "buildTime"));
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key, "");
        return v.isBlank() || v.startsWith("${") ? "unknown" : v.trim();
    }
}
