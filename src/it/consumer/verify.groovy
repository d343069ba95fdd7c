// What an application that depends on io.wssink:wssink gets at run time: the library, Chronicle Queue, Netty,
// jackson-core and slf4j-api (and their own dependencies), never a logging provider or what only the CLI, the
// receiver's optional stores, the metrics binder or the tests need.
File list = new File(basedir, 'runtime-classpath.txt')
assert list.isFile() : "dependency:build-classpath wrote no ${list}"
List<String> jars = list.text.trim().split(File.pathSeparator).collect { new File(it).name }
println "consumer run-time class path: ${jars}"

['wssink-', 'chronicle-queue-', 'netty-codec-http-', 'netty-handler-', 'netty-handler-proxy-', 'jackson-core-',
 'slf4j-api-'].each { wanted ->
    assert jars.any { it.startsWith(wanted) } : "the consumer's run-time class path lacks ${wanted}*: ${jars}"
}
['slf4j-simple', 'logback', 'picocli', 'kafka', 'micrometer', 'selenium', 'junit', 'awaitility'].each { banned ->
    def found = jars.findAll { it.contains(banned) }
    assert found.isEmpty() : "the library drags ${found} onto its users' run-time class path"
}
assert new File(basedir, 'target/classes/consumer/App.class').isFile() : 'the program using WebSocketSink did not compile'

// the library jar itself carries no logging configuration (only the CLI jar does)
File libJar = new File(list.text.trim().split(File.pathSeparator).find { new File(it).name.startsWith('wssink-') })
def zip = new java.util.zip.ZipFile(libJar)
try {
    assert zip.getEntry('simplelogger.properties') == null : "${libJar.name} carries simplelogger.properties"
    assert zip.getEntry('io/wssink/WebSocketSink.class') != null : "${libJar.name} lacks the library"
} finally {
    zip.close()
}
return true
