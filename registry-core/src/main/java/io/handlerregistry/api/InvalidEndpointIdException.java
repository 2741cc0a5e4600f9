package io.handlerregistry.api;

/**
 * The endpoint id is not one the registry accepts. Ids are 1 to 64 characters of
 * {@code A-Z a-z 0-9 _ -}, starting with a letter or digit, so that they are safe in file names.
 * Invalid ids are refused before anything touches the file system.
 */
public final class InvalidEndpointIdException extends HandlerException {
    private static final long serialVersionUID = 1L;

    public InvalidEndpointIdException(String endpointId) {
        super(endpointId, "invalid endpoint id '" + printable(endpointId)
                + "': use 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
    }

    private static String printable(String id) {
        if (id == null) {
            return "null";
        }
        String shown = id.length() > 80 ? id.substring(0, 80) + "...(" + id.length() + " chars)" : id;
        return shown.replaceAll("\\p{Cntrl}", "?");
    }
}
