#include "protocol/svc.h"

static int clamp(int v) { return v < 0 ? 0 : v > 2 ? 2 : v; }

void sy_svc_init(sy_svc *s, int spatial_target, int temporal_target)
{
    *s = (sy_svc){.spatial = -1, .temporal = -1, .pic_id = -1, .pic_sid = -1};
    sy_svc_set_target(s, spatial_target, temporal_target);
}

void sy_svc_set_target(sy_svc *s, int spatial_target, int temporal_target)
{
    s->spatial_target = clamp(spatial_target);
    s->temporal_target = clamp(temporal_target);
}

unsigned sy_svc_process(sy_svc *s, const sy_vp9_desc *d, bool keyframe)
{
    unsigned out = 0;
    int sid = d->l ? d->sid : 0, tid = d->l ? d->tid : 0;
    /* A picture starts with the first packet of a layer frame whose picture id differs
     * from the last one (without picture ids: the first packet of spatial layer 0). */
    bool new_pic = d->b && (d->picture_id >= 0 ? d->picture_id != s->pic_id : sid == 0);
    if (new_pic) {
        s->pic_id = d->picture_id;
        s->pic_sid = -1;
        if (s->spatial < 0 && !keyframe) return SY_SVC_NEED_KEYFRAME;
        if (keyframe && s->spatial < s->spatial_target) {
            /* Every layer of a key picture decodes (the upper ones predict only from the
             * layer below, in the picture): go straight to the target, or to the top
             * layer the scalability structure announces, so that the marker lands on
             * the last layer actually sent. */
            int top = s->spatial_target;
            if (d->ss_layers > 0 && top > d->ss_layers - 1) top = d->ss_layers - 1;
            if (top > s->spatial) {
                s->spatial = top;
                out |= SY_SVC_SPATIAL_CHANGED;
            }
        }
        if (keyframe && s->temporal != s->temporal_target) {
            s->temporal = s->temporal_target;
            out |= SY_SVC_TEMPORAL_CHANGED;
        }
        if (s->spatial_target < s->spatial) {
            s->spatial = s->spatial_target;
            out |= SY_SVC_SPATIAL_CHANGED;
        }
        if (s->temporal_target < s->temporal) {
            s->temporal = s->temporal_target;
            out |= SY_SVC_TEMPORAL_CHANGED;
        } else if (s->temporal_target > s->temporal && (tid == 0 || (d->u && tid > s->temporal))) {
            /* TID 0 references only TID 0: every later frame up to the target can be
             * decoded. A switching up point allows its own TID. */
            int t = tid == 0 ? s->temporal_target : tid < s->temporal_target ? tid : s->temporal_target;
            if (t != s->temporal) {
                s->temporal = t;
                out |= SY_SVC_TEMPORAL_CHANGED;
            }
        }
    }
    if (s->spatial < 0) return out;
    /* One layer up: its frame starts here, needs no earlier picture of its own layer,
     * and the layer it may predict from was forwarded in this picture. */
    if (d->b && sid == s->spatial + 1 && sid <= s->spatial_target && s->pic_sid == s->spatial &&
        tid <= s->temporal) {
        if (!d->p) {
            s->spatial = sid;
            out |= SY_SVC_SPATIAL_CHANGED;
        } else {
            out |= SY_SVC_NEED_KEYFRAME;
        }
    }
    if (sid > s->spatial || tid > s->temporal) return out;
    if (sid > s->pic_sid) s->pic_sid = sid;
    out |= SY_SVC_FORWARD;
    if (d->e && sid == s->spatial) out |= SY_SVC_MARKER;
    return out;
}
