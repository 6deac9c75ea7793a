package dev.berth.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test void medianOfOddAndEvenSamples() {
        assertThat(Stats.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Stats.median(List.of(7.0))).isEqualTo(7.0);
    }

    @Test void percentilesInterpolateBetweenClosestRanksLikeNumpy() {
        // numpy.percentile([1,2,3,4,5,6,7,8,9,10], [25, 75]) == [3.25, 7.75]
        double[] s = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(Stats.percentile(s, 25)).isCloseTo(3.25, within(1e-12));
        assertThat(Stats.percentile(s, 75)).isCloseTo(7.75, within(1e-12));
        assertThat(Stats.percentile(s, 0)).isEqualTo(1);
        assertThat(Stats.percentile(s, 100)).isEqualTo(10);
        // numpy.percentile([10, 20, 40], 90) == 36.0
        assertThat(Stats.percentile(new double[] {10, 20, 40}, 90)).isCloseTo(36.0, within(1e-12));
    }

    @Test void summaryOfUnsortedSample() {
        Stats.Summary s = Stats.of(List.of(9.0, 1.0, 5.0, 3.0, 7.0));
        assertThat(s.n()).isEqualTo(5);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.max()).isEqualTo(9);
        assertThat(s.median()).isEqualTo(5);
        assertThat(s.p25()).isEqualTo(3);
        assertThat(s.p75()).isEqualTo(7);
        assertThat(s.mean()).isEqualTo(5);
    }

    @Test void pairedRatios() {
        assertThat(Stats.ratios(List.of(2.0, 9.0), List.of(4.0, 3.0))).containsExactly(0.5, 3.0);
        assertThatThrownBy(() -> Stats.ratios(List.of(1.0), List.of(1.0, 2.0))).hasMessageContaining("unpaired");
    }

    @Test void badInputIsRefused() {
        assertThatThrownBy(() -> Stats.of(List.of())).hasMessageContaining("no samples");
        assertThatThrownBy(() -> Stats.of(List.of(1.0, Double.NaN))).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 101)).hasMessageContaining("out of 0..100");
    }

    @Test void phaseSelection() {
        assertThat(Bench.select(null)).containsExactly("cpu", "memory", "disk", "net", "start", "density", "elasticity");
        assertThat(Bench.select(List.of("net", "cpu", "mem", "cpu"))).containsExactly("net", "cpu", "memory");
        assertThatThrownBy(() -> Bench.select(List.of("cpu", "gpu"))).hasMessageContaining("unknown phase 'gpu'").hasMessageContaining("elasticity");
    }
}
