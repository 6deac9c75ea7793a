package dev.berth.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiVersionTest {
    @Test
    void comparesPartsAsNumbers() {
        assertThat(ApiVersion.compare("1.50", "1.50")).isZero();
        assertThat(ApiVersion.compare("1.9", "1.24")).isNegative();
        assertThat(ApiVersion.compare("1.100", "1.50")).isPositive();
        assertThat(ApiVersion.compare("2", "1.50")).isPositive();
        assertThat(ApiVersion.compare("1.50.0", "1.50")).isZero();
    }

    @Test
    void supportsExactly124To150() {
        assertThat(ApiVersion.unsupported("1.24")).isNull();
        assertThat(ApiVersion.unsupported("1.50")).isNull();
        assertThat(ApiVersion.unsupported("1.51")).contains("too new");
        assertThat(ApiVersion.unsupported("1.23")).contains("too old");
    }
}
