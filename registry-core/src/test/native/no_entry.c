/* no_entry: declares the ABI version but forgot handler_entry. */
#include "handler.h"

HANDLER_DEFINE_ABI_VERSION()

HANDLER_EXPORT int32_t handler_entry_typo(void) { return 0; }
