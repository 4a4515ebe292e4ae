/*
 * VP9 SVC layer selection for one receiver (what Janus's VideoRoom does per subscriber):
 * a publisher sends one RTP stream whose pictures carry up to three spatial layers
 * (SID) and three temporal layers (TID); each receiver gets only the layers up to its
 * targets.
 *   - packets whose SID is above the current spatial layer, or whose TID is above the
 *     current temporal layer, are dropped;
 *   - the RTP marker goes on the last packet of the highest forwarded spatial layer of
 *     a picture (its E bit), since the publisher's marker is on a layer dropped;
 *   - going up one spatial layer happens on the first packet of that layer's frame
 *     when the frame is not inter-picture predicted (P=0: a key frame, or the upper
 *     layers of one in L3T3_KEY) and the layer below was forwarded in the same
 *     picture; a key picture goes straight to the target (or the top layer its
 *     scalability structure announces); until then the caller should ask for one;
 *   - going down happens at once, at the next picture boundary;
 *   - temporal up at a picture of TID 0 or a switching up point (U), down at once at a
 *     picture boundary.
 * Nothing is forwarded before the first key frame. Pure code, no allocation.
 */
#ifndef SY_PROTOCOL_SVC_H
#define SY_PROTOCOL_SVC_H

#include <stdbool.h>

#include "protocol/vp9.h"

typedef struct sy_svc {
    int spatial, spatial_target;   /* current: -1 before the first key frame */
    int temporal, temporal_target; /* current: -1 before the first key frame */
    int pic_id;   /* picture id of the current picture, -1: none yet */
    int pic_sid;  /* highest spatial layer forwarded in the current picture, -1: none */
} sy_svc;

/* Targets are clamped to 0..2 (Janus: spatial_layer/temporal_layer). */
void sy_svc_init(sy_svc *s, int spatial_target, int temporal_target);
void sy_svc_set_target(sy_svc *s, int spatial_target, int temporal_target);

enum {
    SY_SVC_FORWARD = 1 << 0,
    SY_SVC_MARKER = 1 << 1,           /* forward it with the RTP marker set */
    SY_SVC_SPATIAL_CHANGED = 1 << 2,  /* s->spatial changed with this packet */
    SY_SVC_TEMPORAL_CHANGED = 1 << 3, /* s->temporal changed with this packet */
    SY_SVC_NEED_KEYFRAME = 1 << 4,    /* a higher wanted layer waits for a key frame */
};

/* One packet with descriptor d (d->l set: a layered stream) and keyframe (the start of
 * a key frame: SID 0, B, not P). Returns SY_SVC_*. */
unsigned sy_svc_process(sy_svc *s, const sy_vp9_desc *d, bool keyframe);

#endif
