/* dep_helper: a dependency of missing_dep, deliberately not shipped next to it. */
__attribute__((visibility("default"))) int dep_helper_value(void) { return 1; }
