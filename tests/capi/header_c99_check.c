/* Compiled as strict C99 with -Wpedantic: the public header must stay plain C (no C11, no C++
 * types). Defines one function so the object is not empty. */
#include "zerobusd/zerobusd_c.h"

int zbd_header_c99_check(void);
int zbd_header_c99_check(void) {
  zbd_client_options options;
  zbd_client_options_init(&options);
  return options.struct_size == sizeof(options) ? ZBD_OK : ZBD_ERR_INTERNAL;
}
