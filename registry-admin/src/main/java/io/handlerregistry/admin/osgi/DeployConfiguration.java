package io.handlerregistry.admin.osgi;

import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Reads the directory of the registry's deploy folder from Config Admin, where it runs (an optional import). */
final class DeployConfiguration {
    private DeployConfiguration() {
    }

    static Optional<String> directory(BundleContext context, String pid) {
        try {
            Class.forName("org.osgi.service.cm.ConfigurationAdmin", false, DeployConfiguration.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
        return read(context, pid);
    }

    private static Optional<String> read(BundleContext context, String pid) {
        ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
        if (ref == null) {
            return Optional.empty();
        }
        ConfigurationAdmin admin = context.getService(ref);
        try {
            if (admin == null) {
                return Optional.empty();
            }
            Configuration[] found = admin.listConfigurations("(service.pid=" + pid + ")");
            if (found == null || found.length == 0 || found[0].getProperties() == null) {
                return Optional.empty();
            }
            Object dir = found[0].getProperties().get("directory");
            return dir == null || String.valueOf(dir).isBlank() ? Optional.empty() : Optional.of(String.valueOf(dir));
        } catch (Exception e) {
            return Optional.empty();
        } finally {
            context.ungetService(ref);
        }
    }
}
