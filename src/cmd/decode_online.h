/* decode_online.h: the seam between `vinbot decode` and the online decoder chain.
 *
 * The chain (src/decode/) sets these hooks from a constructor when it is linked in; when they
 * are NULL the command decodes offline. Kept as hooks so that the command links without the
 * network modules in tests of the pure engine. */
#ifndef CMD_DECODE_ONLINE_H
#define CMD_DECODE_ONLINE_H

#include <stddef.h>

#include "core/buf.h"

struct config;
struct decode_online;

/* Open the chain for this process (cache and database when configured). NULL = decode offline. */
extern struct decode_online *(*cmd_decode_online_open)(const struct config *cfg);
/* Decode one input and append its JSON object to out. Returns 0, or -1 to fall back offline. */
extern int (*cmd_decode_online_run)(struct decode_online *d, const char *input, size_t len,
                                    struct buf *out);
extern void (*cmd_decode_online_close)(struct decode_online *d);

#endif
