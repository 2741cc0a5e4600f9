/* origin_dep: a dependency that sits next to the handler that needs it (see origin.c). */
__attribute__((visibility("default"))) const char *origin_dep_greeting(void) {
    return "found my neighbour";
}
