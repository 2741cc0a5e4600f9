package io.handlerregistry.deploy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import io.handlerregistry.osgi.BundleHandler;

/**
 * What a file dropped into a deploy folder holds, read from its bytes before anything is installed:
 * a complete jar, an OSGi bundle, a handler bundle (and for which endpoint), or what it is not.
 *
 * @param problem  what is wrong, in the words of someone who dropped a file; null when nothing is
 * @param complete false when the jar ends before its end record (a copy still under way, or cut short)
 * @param endpoint the Handler-Endpoint header, or null
 * @param bundle   symbolic name and version, or null
 */
record JarCheck(String problem, boolean complete, String endpoint, String bundle) {
    private static final int END_RECORD_SIZE = 22; // zip "end of central directory", without comment
    private static final int MAX_COMMENT = 0xffff;

    /** Reads a file's bytes; {@code anyBundle} allows bundles that are not handler bundles. */
    static JarCheck of(byte[] content, boolean anyBundle) {
        if (content.length == 0) {
            return failed("it is empty (0 bytes): was the copy interrupted?", true);
        }
        if (content.length < 4 || content[0] != 'P' || content[1] != 'K') {
            return failed("it is not a jar: its first bytes are not a zip header (a text file, or another format?)",
                    true);
        }
        if (!hasEndRecord(content)) {
            return failed("it is incomplete: it ends before the jar's end record (" + content.length
                    + " bytes so far; still being copied, or cut short)", false);
        }
        Manifest manifest;
        try (JarInputStream jar = new JarInputStream(new ByteArrayInputStream(content), true)) {
            manifest = jar.getManifest();
            while (jar.getNextJarEntry() != null) {
                jar.readAllBytes(); // reads and verifies every entry: a damaged one fails here
            }
        } catch (IOException | RuntimeException e) {
            return failed("it is a damaged jar (" + e.getMessage() + ")", true);
        }
        Attributes main = manifest == null ? new Attributes() : manifest.getMainAttributes();
        String symbolicName = main.getValue("Bundle-SymbolicName");
        if (symbolicName == null) {
            return failed("it is a jar but not an OSGi bundle (its manifest has no Bundle-SymbolicName)", true);
        }
        String bundle = symbolicName.split(";")[0].strip() + " " + String.valueOf(main.getValue("Bundle-Version"));
        String endpoint = main.getValue(BundleHandler.ENDPOINT_HEADER);
        if (endpoint == null && !anyBundle) {
            return new JarCheck("it is the bundle " + bundle + ", not a handler bundle (no "
                    + BundleHandler.ENDPOINT_HEADER + " header): only handler bundles are deployed from here; set"
                    + " allow.other.bundles=true in " + DeployFolderWatcher.PID + " to deploy any bundle", true, null,
                    bundle);
        }
        return new JarCheck(null, true, endpoint == null ? null : endpoint.strip(), bundle);
    }

    boolean ok() {
        return problem == null;
    }

    private static JarCheck failed(String problem, boolean complete) {
        return new JarCheck(problem, complete, null, null);
    }

    /** A zip ends with its end record, followed only by a comment of the length the record gives. */
    private static boolean hasEndRecord(byte[] content) {
        int lowest = Math.max(0, content.length - END_RECORD_SIZE - MAX_COMMENT);
        for (int at = content.length - END_RECORD_SIZE; at >= lowest; at--) {
            if (content[at] == 'P' && content[at + 1] == 'K' && content[at + 2] == 5 && content[at + 3] == 6) {
                int commentLength = (content[at + 20] & 0xff) | (content[at + 21] & 0xff) << 8;
                return at + END_RECORD_SIZE + commentLength == content.length;
            }
        }
        return false;
    }
}
