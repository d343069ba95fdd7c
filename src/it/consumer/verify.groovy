// What an application that depends on io.wssink:wssink gets at run time: the library, Chronicle Queue, Netty,
// jackson-core and slf4j-api (and their own dependencies), never a logging provider or what only the CLI, the
// receiver's optional stores, the metrics binder or the tests need: every jar must be on the allowlist below.
File list = new File(basedir, 'runtime-classpath.txt')
assert list.isFile() : "dependency:build-classpath wrote no ${list}"
List<String> jars = list.text.trim().split(File.pathSeparator).collect { new File(it).name }
println "consumer run-time class path: ${jars}"

['wssink-', 'chronicle-queue-', 'netty-codec-http-', 'netty-handler-', 'netty-handler-proxy-', 'jackson-core-',
 'slf4j-api-'].each { wanted ->
    assert jars.any { it.startsWith(wanted) } : "the consumer's run-time class path lacks ${wanted}*: ${jars}"
}

// An allowlist, not a denylist: a new run-time dependency of any other group fails here until it is looked at and
// added on purpose. groupId -> the artifacts allowed of it (null: any). Besides our four, the groups below
// net.openhft are Chronicle's own run-time dependencies, as the class path showed them on 2026-11-26:
// chronicle-core's posix (jnr-ffi and its asm, jffi, jnr-constants, jnr-*asm; JNA), chronicle-analytics' JetBrains
// annotations, and affinity's commons-cli.
Map<String, List<String>> allowed = [
        'io.wssink'                 : ['wssink'],
        'net.openhft'               : null,
        'net.java.dev.jna'          : null,
        'com.github.jnr'            : null,
        'org.ow2.asm'               : null,
        'org.jetbrains'             : ['annotations'],
        'commons-cli'               : ['commons-cli'],
        'io.netty'                  : null,
        'com.fasterxml.jackson.core': ['jackson-core'],  // not databind or annotations
        'org.slf4j'                 : ['slf4j-api'],     // never a provider
]
String repo = new File(localRepositoryPath.toString()).canonicalPath
List<String> notAllowed = []
list.text.trim().split(File.pathSeparator).each { path ->
    String file = new File(path).canonicalPath
    assert file.startsWith(repo + File.separator) : "${file} is not in the local repository ${repo}"
    List<String> parts = file.substring(repo.length() + 1).split(java.util.regex.Pattern.quote(File.separator)) as List
    // <group as directories>/<artifactId>/<version>/<file>
    String groupId = parts[0..-4].join('.')
    String artifactId = parts[-3]
    if (!allowed.containsKey(groupId) || (allowed[groupId] != null && !allowed[groupId].contains(artifactId))) {
        notAllowed << "${groupId}:${artifactId}:${parts[-2]}"
    }
}
assert notAllowed.isEmpty() : "the library brings ${notAllowed} onto its users' run-time class path, outside the" +
        " allowlist in src/it/consumer/verify.groovy: make the dependency optional, or provided, or add it there if" +
        " it truly is a run-time need"
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
