package dev.lowbit.report;

import dev.lowbit.LowbitException;
import dev.lowbit.io.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** Writes xchart charts as one PNG (charts side by side), atomically. */
public final class Plots {
    private Plots() {}

    public static void savePng(Path file, List<? extends Chart<?, ?>> charts) {
        if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new LowbitException(file + ": plots are written as PNG; use a .png file name");
        }
        List<BufferedImage> images = charts.stream().map(BitmapEncoder::getBufferedImage).toList();
        int w = images.stream().mapToInt(BufferedImage::getWidth).sum();
        int h = images.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        BufferedImage all = new BufferedImage(Math.max(1, w), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, all.getWidth(), h);
        int x = 0;
        for (BufferedImage im : images) {
            g.drawImage(im, x, 0, null);
            x += im.getWidth();
        }
        g.dispose();
        AtomicFiles.write(file, out -> ImageIO.write(all, "png", out));
    }
}
