package io.wssink.internal.receiver.console;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * Takes docs/console.png by hand (not part of the test suite): three live streams for half a minute, a message sent,
 * then a screenshot of the page in headless chromium. Run with the test class path and Chronicle's flags:
 * {@code java ... io.wssink.internal.receiver.console.ConsoleScreenshot docs/console.png}.
 */
public final class ConsoleScreenshot {
    private ConsoleScreenshot() {
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args.length > 0 ? args[0] : "docs/console.png");
        Path tmp = Files.createTempDirectory("wssink-screenshot");
        long seed = 13;
        Random random = new Random(seed);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .ui(true).build())) {
            List<WebSocketSink> sinks = new ArrayList<>();
            String[] names = {"nightly-backup", "ci-build-4711", "crawler"};
            for (String n : names) {
                sinks.add(WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve(n)).build());
            }
            long end = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            ChromeDriver browser = null;
            try {
                int i = 0;
                while (System.nanoTime() < end) {
                    i++;
                    if (i % 3 == 0) {
                        sinks.get(0).write("{\"file\":\"/srv/data/part-" + i + ".tar\",\"bytes\":"
                                + random.nextInt(1 << 24) + ",\"ok\":true}");
                    }
                    if (random.nextInt(10) < 6 + (int) (3 * Math.sin(i / 20.0))) {
                        sinks.get(1).write("[" + (i % 100) + "%] compiling module " + (i % 17) + ": "
                                + (random.nextBoolean() ? "ok" : "warning: deprecated API"));
                    }
                    if (i % 7 == 0) {
                        sinks.get(2).write("GET https://example.org/page/" + random.nextInt(1000) + " 200 "
                                + random.nextInt(900) + " ms");
                    }
                    if (i == 300) {
                        browser = Browsers.chromium(Files.createDirectory(tmp.resolve("profile")), 1280, 860);
                        browser.get(receiver.consoleUrl() + "?stream=" + sinks.get(1).status().spool().streamId());
                        new WebDriverWait(browser, Duration.ofSeconds(20)).until(
                                ExpectedConditions.presenceOfElementLocated(By.cssSelector("#tail li")));
                        browser.findElement(By.id("message-input")).sendKeys("pause after this module");
                        browser.findElement(By.id("send")).click();
                    }
                    LockSupport.parkNanos(Duration.ofMillis(60).toNanos());
                }
                Path png = browser.getScreenshotAs(OutputType.FILE).toPath();
                Files.copy(png, target, StandardCopyOption.REPLACE_EXISTING);
                System.out.println("wrote " + target + " (seed " + seed + ")");
            } finally {
                if (browser != null) {
                    browser.quit();
                }
                for (WebSocketSink s : sinks) {
                    s.close();
                }
            }
        }
    }
}
