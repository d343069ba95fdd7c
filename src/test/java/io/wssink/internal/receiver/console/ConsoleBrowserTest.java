package io.wssink.internal.receiver.console;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.InboundMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The console's page in a real browser: events appear as they are written, newest first, binary ones as hex; the
 * filter and pause work on the tail; and a message typed into the page reaches the sender's onMessage.
 */
class ConsoleBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private ChromeDriver browser;
    private ReferenceReceiver receiver;
    private final List<WebSocketSink> sinks = new CopyOnWriteArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        for (WebSocketSink s : sinks) {
            s.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private WebSocketSink sink(String spool, List<InboundMessage> inbox) {
        WebSocketSink s = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve(spool))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).onMessage(inbox::add).build();
        sinks.add(s);
        return s;
    }

    @Test
    void thePageShowsEventsAsTheyAreWrittenAndSendsAMessageToTheSender() throws Exception {
        browser = Browsers.chromium(Files.createDirectory(tmp.resolve("profile")), 1280, 900);
        receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt")).ui(true).build());
        List<InboundMessage> quiet = new CopyOnWriteArrayList<>();
        WebSocketSink other = sink("other", quiet);
        other.write("from the other stream");
        other.acked(other.status().spool().lastId()).get(20, TimeUnit.SECONDS);
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        WebSocketSink job = sink("job", inbox);
        job.write("first event");
        job.acked(job.status().spool().lastId()).get(20, TimeUnit.SECONDS);
        String stream = job.status().spool().streamId();

        browser.get(receiver.consoleUrl());
        FluentWait<WebDriver> wait = waitFor(browser);
        wait.until(ExpectedConditions.textToBe(By.id("selected"), stream)); // the most recently active stream
        wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li"))).contains("first event"));
        assertTrue(browser.getCurrentUrl().endsWith("/?stream=" + stream), browser.getCurrentUrl());

        job.write("second event");
        wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li"))).contains("second event"));
        List<String> tail = wait.until(d -> tailTexts(d.findElements(By.cssSelector("#tail li"))));
        assertEquals(2, tail.size(), tail.toString());
        assertTrue(tail.get(1).contains("first event"), "newest first: " + tail);
        wait.until(d -> d.findElement(By.cssSelector("#streams tr[data-stream='" + stream + "'] td.events"))
                .getText().equals("2"));

        browser.findElement(By.id("message-input")).sendKeys("stop the job");
        browser.findElement(By.id("send")).click();
        await().atMost(WAIT).until(() -> inbox.size() == 1);
        assertTrue(inbox.get(0).isText());
        assertEquals("stop the job", inbox.get(0).text());
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#messages li[data-state='written']")));
        assertTrue(quiet.isEmpty(), "the other stream's sender got nothing");

        String otherStream = other.status().spool().streamId();
        browser.get(receiver.consoleUrl() + "?stream=" + otherStream);
        wait.until(ExpectedConditions.textToBe(By.id("selected"), otherStream));
        wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li"))).contains("from the other stream"));
    }

    @Test
    void withATokenThePageAsksForItOnceAndKeepsItOutOfTheAddressBar() throws Exception {
        browser = Browsers.chromium(Files.createDirectory(tmp.resolve("profile")), 1024, 768);
        String token = "t0ken-" + System.nanoTime();
        receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt")).token(token).ui(true).build());
        List<InboundMessage> inbox = new CopyOnWriteArrayList<>();
        WebSocketSink job = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("job"))
                .header("Authorization", "Bearer " + token).onMessage(inbox::add).build();
        sinks.add(job);
        job.write("behind a token");
        job.acked(job.status().spool().lastId()).get(20, TimeUnit.SECONDS);

        browser.get(receiver.consoleUrl());
        FluentWait<WebDriver> wait = waitFor(browser);
        browser.findElement(By.id("token")).sendKeys("wrong");
        browser.findElement(By.cssSelector("#login button")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("failed")));
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.cssSelector("#login button")).click();
        wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li"))).contains("behind a token"));
        assertFalse(browser.getCurrentUrl().contains(token), browser.getCurrentUrl());
        browser.findElement(By.id("message-input")).sendKeys("authorized");
        browser.findElement(By.id("send")).click();
        await().atMost(WAIT).until(() -> inbox.size() == 1);
        assertEquals("authorized", inbox.get(0).text());
    }

    @Test
    void theFilterHidesOtherEventsPauseHoldsNewOnesUntilResumedAndABinaryEventShowsAsHex() throws Exception {
        browser = Browsers.chromium(Files.createDirectory(tmp.resolve("profile")), 1280, 900);
        receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt")).ui(true).build());
        WebSocketSink job = sink("job", new CopyOnWriteArrayList<>());
        job.write("alpha one");
        job.write("beta two");
        job.write(new byte[] {(byte) 0xff, 0x00, 0x41});
        job.acked(job.status().spool().lastId()).get(20, TimeUnit.SECONDS);
        String stream = job.status().spool().streamId();

        browser.get(receiver.consoleUrl() + "?stream=" + stream);
        FluentWait<WebDriver> wait = waitFor(browser);
        wait.until(d -> tailTexts(d.findElements(By.cssSelector("#tail li"))).size() == 3);
        // read in the wait: a row found may be rebuilt before it is read
        String binary = wait.until(d -> d.findElements(By.cssSelector("#tail li")).get(0).getText());
        assertTrue(binary.contains("hex: ff 00 41"), "a binary event as a hex preview: " + binary);
        String binaryClass = wait.until(d -> d.findElements(By.cssSelector("#tail li")).get(0).getAttribute("class"));
        assertTrue(binaryClass.contains("binary"), binaryClass);

        WebElement filter = browser.findElement(By.id("filter"));
        filter.sendKeys("alpha");
        wait.until(d -> tailTexts(d.findElements(By.cssSelector("#tail li"))).size() == 1);
        assertTrue(wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li")))).contains("alpha one"));
        job.write("alpha three"); // a new matching event shows, filtered like the rest
        wait.until(d -> tailTexts(d.findElements(By.cssSelector("#tail li"))).size() == 2);
        assertTrue(wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li")))).contains("alpha three"));
        filter.sendKeys(Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE);
        wait.until(d -> tailTexts(d.findElements(By.cssSelector("#tail li"))).size() == 4);

        browser.findElement(By.id("pause")).click();
        job.write("while paused");
        wait.until(ExpectedConditions.textToBe(By.id("paused-note"), "paused: 1 new event not shown"));
        wait.until(d -> d.findElement(By.cssSelector("#streams tr[data-stream='" + stream + "'] td.events"))
                .getText().equals("5"));
        List<String> held = wait.until(d -> tailTexts(d.findElements(By.cssSelector("#tail li"))));
        assertEquals(4, held.size(), "no new row while paused: " + held);
        assertTrue(held.stream().noneMatch(t -> t.contains("while paused")), held.toString());

        browser.findElement(By.id("pause")).click();
        wait.until(d -> firstTail(d.findElements(By.cssSelector("#tail li"))).contains("while paused"));
        assertEquals(5, browser.findElements(By.cssSelector("#tail li")).size());
        assertEquals("", browser.findElement(By.id("paused-note")).getText());
    }

    /**
     * A wait that tries again when the page re-rendered an element between finding it and reading it: the tail's rows
     * are rebuilt at each event and each filter key, and a stale row once failed the filter test (session 10).
     */
    private static FluentWait<WebDriver> waitFor(WebDriver browser) {
        return new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class);
    }

    private static List<String> tailTexts(List<WebElement> items) {
        return items.stream().map(WebElement::getText).toList();
    }

    private static String firstTail(List<WebElement> items) {
        return items.isEmpty() ? "" : items.get(0).getText();
    }
}
