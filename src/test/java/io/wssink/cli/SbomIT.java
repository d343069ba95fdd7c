package io.wssink.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The CycloneDX BOMs of the library and of the executable jar, as a scanner reads them. */
class SbomIT {
    private static final String BASE = System.getProperty("wssink.boms", "target/wssink-0.1.0-SNAPSHOT");

    /** group:name to "version scope" of every component of a BOM. */
    private static Map<String, String> components(Path bom) throws IOException {
        assumeFalse("offline:true".equals(System.getProperty("wssink.maven")),
                "cyclonedx-maven-plugin needs Maven online (offline, Maven skips it); CI builds online");
        assertTrue(Files.isRegularFile(bom), bom + " was not written");
        Map<String, String> found = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(bom.toFile())) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals("components")) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    Map<String, String> c = new HashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        if (p.nextToken().isScalarValue()) {
                            c.put(name, p.getText());
                        } else {
                            p.skipChildren();
                        }
                    }
                    found.put(c.get("group") + ":" + c.get("name"), c.get("version") + " " + c.get("scope"));
                }
            }
        }
        return found;
    }

    @Test
    void theLibrarysBomMarksWhatOnlyTheCliNeedsOptional() throws Exception {
        Map<String, String> bom = components(Path.of(BASE + "-cyclonedx.json"));
        assertTrue(bom.get("net.openhft:chronicle-queue").endsWith(" required"), bom.toString());
        assertTrue(bom.get("io.netty:netty-codec-http").endsWith(" required"), bom.toString());
        assertTrue(bom.get("com.fasterxml.jackson.core:jackson-core").endsWith(" required"), bom.toString());
        assertTrue(bom.get("org.slf4j:slf4j-api").endsWith(" required"), bom.toString());
        for (String optional : new String[] {"info.picocli:picocli", "org.slf4j:slf4j-simple",
                "ch.qos.logback:logback-classic", "io.micrometer:micrometer-core"}) {
            assertTrue(bom.get(optional).endsWith(" optional"), optional + ": " + bom);
        }
        assertFalse(bom.containsKey("org.junit.jupiter:junit-jupiter"), "test dependencies are not shipped");
    }

    @Test
    void theCliBomListsEveryVersionTheExecutableJarShades() throws Exception {
        Map<String, String> bom = components(Path.of(BASE + "-cli-cyclonedx.json"));
        for (String shaded : new String[] {"net.openhft:chronicle-queue", "io.netty:netty-codec-http",
                "io.netty:netty-handler", "com.fasterxml.jackson.core:jackson-core", "info.picocli:picocli",
                "org.slf4j:slf4j-simple", "io.micrometer:micrometer-registry-prometheus"}) {
            assertNotNull(bom.get(shaded), shaded + " missing: " + bom);
            assertTrue(bom.get(shaded).endsWith(" required"), shaded + ": " + bom);
        }
        assertEquals("4.7.7 required", bom.get("info.picocli:picocli"));
        assertTrue(bom.get("ch.qos.logback:logback-classic").endsWith(" excluded"), bom.toString());
        // and the jar holds what the BOM says, and not what it excludes
        try (ZipFile jar = new ZipFile(Jar.JAR.toFile())) {
            assertNotNull(jar.getEntry("picocli/CommandLine.class"));
            assertNotNull(jar.getEntry("net/openhft/chronicle/queue/ChronicleQueue.class"));
            assertNotNull(jar.getEntry("io/netty/handler/codec/http/HttpObjectDecoder.class"));
            assertNotNull(jar.getEntry("com/fasterxml/jackson/core/JsonParser.class"));
            assertNotNull(jar.getEntry("org/slf4j/simple/SimpleLogger.class"));
            assertNull(jar.getEntry("ch/qos/logback/classic/Logger.class"));
        }
    }
}
