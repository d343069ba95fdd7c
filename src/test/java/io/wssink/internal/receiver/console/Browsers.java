package io.wssink.internal.receiver.console;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Headless Debian chromium through Debian's chromedriver, both named explicitly so that Selenium Manager downloads
 * nothing; skips (with the reason) where they are not installed, except under {@code CI=true}: there a missing
 * browser fails the test, so that CI cannot pass green without it. `.ci/run` installs them as root.
 */
final class Browsers {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private Browsers() {
    }

    static ChromeDriver chromium(Path profile, int width, int height) {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String missing = "no browser: " + CHROMIUM + " and " + CHROMEDRIVER + " are needed (apt-get install chromium"
                + " chromium-driver)";
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(missing + "; CI=true, where .ci/run installs them: this fails rather than skips");
        }
        Assumptions.assumeTrue(present, missing);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile.toAbsolutePath());
        return new ChromeDriver(service, options);
    }
}
