package dev.lowbit.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import org.junit.jupiter.api.Test;

class FormatsTest {

    @Test
    void everyNamedFormatParsesBackFromItsName() {
        for (NumberFormat f : Formats.named()) {
            assertThat(Formats.parse(f.name())).as(f.name()).isEqualTo(f);
            FormatInfo i = f.info();
            assertThat(i.name()).isEqualTo(f.name());
            assertThat(i.bits()).isPositive();
        }
        assertThat(Formats.named()).extracting(NumberFormat::name).contains("fp16", "bf16", "tf32", "e5m2", "e4m3", "e3m2",
                "e2m3", "e2m1", "int2", "int16", "mxfp8-e4m3", "mxfp8-e5m2", "mxfp6-e3m2", "mxfp6-e2m3", "mxfp4", "mxint8", "nvfp4",
                "bfp4");
    }

    @Test
    void genericMiniFloatNames() {
        for (MiniFloat f : MiniFloatTest.allSmallFormats()) {
            assertThat(Formats.parse(f.name())).as(f.name()).isEqualTo(f);
        }
        assertThat(Formats.parse("e3m4")).isEqualTo(new MiniFloat(3, 4, 3, MiniFloat.Special.IEEE));
        assertThat(Formats.parse("E3M4-fn-b5")).isEqualTo(new MiniFloat(3, 4, 5, MiniFloat.Special.NAN_ONLY));
        assertThat(Formats.parse("e4m3-ieee").name()).isEqualTo("e4m3-ieee");
        assertThat(Formats.parse("e1m2")).isEqualTo(new MiniFloat(1, 2, 0, MiniFloat.Special.FINITE));
        assertThat(Formats.parse("e8m23").name()).isEqualTo("e8m23");
    }

    @Test
    void integerAndBlockNames() {
        assertThat(Formats.parse("int4-asym-g128")).isEqualTo(new IntFormat(4, false, Granularity.group(128)));
        assertThat(Formats.parse("int8-row")).isEqualTo(new IntFormat(8, true, Granularity.ROW));
        assertThat(Formats.parse("int8-col").name()).isEqualTo("int8-col");
        assertThat(Formats.parse("bfp6")).isEqualTo(Formats.bfp(6, 32));
        assertThat(Formats.parse("bfp6-b16").name()).isEqualTo("bfp6-b16");
        assertThat(Formats.parse("MXFP4")).isSameAs(Formats.MXFP4);
    }

    @Test
    void badNamesAreOneLineErrors() {
        for (String bad : new String[] {"fp7", "int1", "int17", "e9m2", "e4m24", "e1m0-ieee", "e8m7-finite", "bfp0", "bfp16", "int8-x",
            "e3m2-zz", ""}) {
            assertThatThrownBy(() -> Formats.parse(bad)).as(bad).isInstanceOf(LowbitException.class).message().doesNotContain("\n");
        }
    }

    @Test
    void infoOfTheOcpFormats() {
        assertThat(Formats.MXFP4.info().bits()).isEqualTo(4.25);
        assertThat(Formats.NVFP4.info().bits()).isEqualTo(4.5);
        assertThat(Formats.E4M3.info().maxFinite()).isEqualTo(448);
        assertThat(Formats.E4M3.info().epsilon()).isEqualTo(0.125);
        assertThat(Formats.FP16.info().minSubnormal()).isEqualTo(0x1p-24);
        assertThat(Formats.FP16.info().hasInf()).isTrue();
        assertThat(Formats.E2M1.info().hasNaN()).isFalse();
    }
}
