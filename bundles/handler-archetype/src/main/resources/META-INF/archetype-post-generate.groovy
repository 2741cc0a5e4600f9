// Keeps the sources of the chosen language only (the archetype carries both), and refuses what the
// registry would refuse later: an endpoint id it does not accept, a language it has no template for.
import java.nio.file.Files
import java.nio.file.Path

def properties = request.properties
String endpoint = properties.get('endpoint')
String language = properties.get('language')
if (!(endpoint ==~ /[A-Za-z0-9_-]{1,64}/)) {
    throw new IllegalArgumentException("endpoint '" + endpoint + "' is no endpoint id: 1 to 64 of A-Z a-z 0-9 _ -;"
            + " give another with -Dendpoint=...")
}
if (!(language in ['c', 'rust'])) {
    throw new IllegalArgumentException("language '" + language + "' has no template: use -Dlanguage=c or -Dlanguage=rust")
}

Path project = Path.of(request.outputDirectory, request.artifactId)
def drop = language == 'c' ? ['Cargo.toml', 'src/main/rust'] : ['src/main/c']
drop.each { String name ->
    Path path = project.resolve(name)
    if (Files.isDirectory(path)) {
        path.toFile().deleteDir()
    } else {
        Files.deleteIfExists(path)
    }
}
