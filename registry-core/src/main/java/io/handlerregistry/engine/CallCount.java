package io.handlerregistry.engine;

/** A number of calls as users read it in logs and errors: "1 call", "2 calls". */
public final class CallCount {
    private CallCount() {
    }

    public static String of(long calls) {
        return calls == 1 ? "1 call" : calls + " calls";
    }
}
