/*
 * The VP9 RTP payload descriptor (RFC 9628 section 4.2): what an SFU needs to forward
 * spatial and temporal layers (SVC) without decoding.
 *
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |I|P|L|F|B|E|V|Z|
 *   I:  |M| PICTURE ID  |  (M: 15-bit picture id, one more byte)
 *   L:  |  TID  |U| SID |D|
 *       |   TL0PICIDX   |  (L and not F: non-flexible mode)
 *   P,F:| P_DIFF      |N|  (up to 3, N: another follows)
 *   V:  | SS (scalability structure) |
 *
 * Pure code: (pointer, length), nothing read past it.
 */
#ifndef SY_PROTOCOL_VP9_H
#define SY_PROTOCOL_VP9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SY_VP9_MAX_SPATIAL 8 /* N_S is 3 bits */

typedef struct sy_vp9_desc {
    bool p;  /* inter-picture predicted: the frame needs an earlier picture of its layer */
    bool f;  /* flexible mode (P_DIFFs instead of a group of frames) */
    bool b;  /* first packet of a layer frame */
    bool e;  /* last packet of a layer frame */
    bool v;  /* a scalability structure follows */
    bool z;  /* not used for inter-layer prediction by the next spatial layer */
    int picture_id; /* -1: absent */
    bool pid_15bit;
    size_t pid_off;
    bool l;  /* layer indices present; without them tid = sid = 0 */
    int tid, sid;
    bool u;  /* switching up point (temporal) */
    bool d;  /* inter-layer dependency on the spatial layer below */
    int tl0picidx; /* -1: absent (flexible mode or no L) */
    size_t tl0_off;
    int n_pdiff;
    uint8_t pdiff[3];
    /* The scalability structure (V), if present. */
    int ss_layers; /* N_S + 1, 0: no SS */
    bool ss_res;   /* widths and heights present */
    uint16_t width[SY_VP9_MAX_SPATIAL], height[SY_VP9_MAX_SPATIAL];
    int ss_groups; /* N_G, 0 when G is clear */
    size_t len;    /* bytes of the descriptor: the VP9 frame data starts there */
} sy_vp9_desc;

/* Parses the descriptor at the start of a VP9 payload. Returns 0, or -1 when it is
 * truncated or malformed (a reserved 0 P_DIFF list longer than 3, an SS that runs past
 * the end); then d must not be used. */
int sy_vp9_desc_parse(const uint8_t *payload, size_t len, sy_vp9_desc *d);

#endif
