/*
 * Fuzz target: fuzz_plugin.c with string_ids on in the VideoRoom and TextRoom configs
 * (room and participant IDs are JSON strings; the rooms are "1234" and "lobby").
 */
#define SY_FUZZ_STRING_IDS 1
#include "fuzz_plugin.c"
