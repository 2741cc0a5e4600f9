/* Prints the layout of handler.h's structs as gcc computes it, one "NAME VALUE" line each, named as
 * in the registry's AbiLayout (AbiLayoutTest compares the two). */
#include <stdio.h>
#include "handler.h"

#define FIELD(name, type, field) printf("%s %zu\n", name, offsetof(type, field))
#define SIZE(name, type) printf("%s %zu\n", name, sizeof(type))

int main(void) {
    printf("ABI_VERSION %u\n", HANDLER_ABI_VERSION);
    printf("MIN_BUFFER %u\n", HANDLER_MIN_BUFFER);

    FIELD("BYTES_DATA", handler_bytes, data);
    FIELD("BYTES_LEN", handler_bytes, len);
    SIZE("BYTES_SIZE", handler_bytes);

    FIELD("HEADER_NAME", handler_header, name);
    FIELD("HEADER_VALUE", handler_header, value);
    SIZE("HEADER_SIZE", handler_header);

    FIELD("CONTEXT_SIZE_FIELD", handler_context, size);
    FIELD("CONTEXT_ABI_VERSION", handler_context, abi_version);
    FIELD("CONTEXT_ENDPOINT_ID", handler_context, endpoint_id);
    FIELD("CONTEXT_REQUEST_ID", handler_context, request_id);
    FIELD("CONTEXT_DEADLINE", handler_context, deadline_unix_ns);
    SIZE("CONTEXT_SIZE", handler_context);

    FIELD("REQUEST_SIZE_FIELD", handler_request, size);
    FIELD("REQUEST_HEADER_COUNT", handler_request, header_count);
    FIELD("REQUEST_METHOD", handler_request, method);
    FIELD("REQUEST_PATH", handler_request, path);
    FIELD("REQUEST_QUERY", handler_request, query);
    FIELD("REQUEST_HEADERS", handler_request, headers);
    FIELD("REQUEST_BODY", handler_request, body);
    SIZE("REQUEST_SIZE", handler_request);

    FIELD("RESPONSE_SIZE_FIELD", handler_response, size);
    FIELD("RESPONSE_STATUS", handler_response, status);
    FIELD("RESPONSE_HEADER_COUNT", handler_response, header_count);
    FIELD("RESPONSE_RESERVED", handler_response, reserved);
    FIELD("RESPONSE_HEADERS", handler_response, headers);
    FIELD("RESPONSE_BODY", handler_response, body);
    FIELD("RESPONSE_ERROR_MESSAGE", handler_response, error_message);
    FIELD("RESPONSE_BUFFER", handler_response, buffer);
    FIELD("RESPONSE_BUFFER_CAPACITY", handler_response, buffer_capacity);
    FIELD("RESPONSE_RELEASE_DATA", handler_response, release_data);
    SIZE("RESPONSE_SIZE", handler_response);

    FIELD("INIT_SIZE_FIELD", handler_init_args, size);
    FIELD("INIT_ABI_VERSION", handler_init_args, abi_version);
    FIELD("INIT_ENDPOINT_ID", handler_init_args, endpoint_id);
    FIELD("INIT_LIBRARY_PATH", handler_init_args, library_path);
    FIELD("INIT_ERROR_MESSAGE", handler_init_args, error_message);
    SIZE("INIT_SIZE", handler_init_args);
    return 0;
}
