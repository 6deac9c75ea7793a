package dev.berth.cli.bench;

import java.util.Arrays;
import java.util.List;

/** Order statistics of a sample: the median and spread every figure of the bench reports. */
public final class Stats {
    private Stats() {}

    /** n, min, p25, median, p75, max and mean of one sample. */
    public record Summary(int n, double min, double p25, double median, double p75, double max, double mean) {}

    /** Summary of {@code xs}; an empty sample is an error (a figure without samples is not a figure). */
    public static Summary of(List<Double> xs) {
        if (xs.isEmpty()) throw new IllegalArgumentException("no samples");
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        for (double d : s) if (Double.isNaN(d)) throw new IllegalArgumentException("NaN sample");
        return new Summary(s.length, s[0], percentile(s, 25), percentile(s, 50), percentile(s, 75), s[s.length - 1],
                Arrays.stream(s).average().orElseThrow());
    }

    /**
     * The p-th percentile (0..100) of an ascending array by linear interpolation between closest
     * ranks (Hyndman–Fan type 7, what numpy and R use by default): the median of {1,2,3,4} is 2.5.
     */
    public static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) throw new IllegalArgumentException("no samples");
        if (p < 0 || p > 100) throw new IllegalArgumentException("percentile out of 0..100: " + p);
        double h = (sorted.length - 1) * p / 100.0;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    public static double median(List<Double> xs) { return of(xs).median(); }

    /** Element-wise a[i] / b[i] of two paired samples (rounds run interleaved, so pairs share conditions). */
    public static List<Double> ratios(List<Double> a, List<Double> b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("unpaired samples: " + a.size() + " vs " + b.size());
        return java.util.stream.IntStream.range(0, a.size()).mapToObj(i -> a.get(i) / b.get(i)).toList();
    }
}
