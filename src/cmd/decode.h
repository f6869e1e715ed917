/* decode.h: `vinbot decode [--offline] [--json] [VIN...]`. */
#ifndef CMD_DECODE_H
#define CMD_DECODE_H

/* Run the command; argv[0] is "decode". Prints one JSON object per input on stdout (inputs from
 * the arguments, else one per line of stdin). Returns the exit status: 0 when every input was
 * processed (whatever the verdicts), 2 on usage errors, 78 on configuration errors. */
int cmd_decode(int argc, char **argv);

#endif
