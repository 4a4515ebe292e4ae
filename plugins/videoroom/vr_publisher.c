/*
 * janus.plugin.videoroom: publishers (main thread): join, the answer to a publish offer,
 * configure without an offer (bitrate, keyframe, display), and the REMB cap they get.
 * Teardown (unpublish, leave) is in videoroom.c with the rest of a room's lifecycle.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vr.h"

/* ---- publishers ---- */

static uint64_t pub_gens; /* of forwarding states: tells stale worker notices apart */

/* The index of the new stream that continues an old one: same mid, kind and codec. */
static int same_stream(const vr_pub_stream *list, int n, const vr_pub_stream *old)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].mid, old->mid) && list[i].video == old->video && list[i].codec == old->codec)
            return i;
    return -1;
}

/* The codecs an offer may use: the publish's audiocodec/videocodec when the room allows
 * them, else the room's lists. NULL, or an error event. */
static json_t *offer_codecs(const vr_room *r, json_t *body, const char **ac, const char **vc)
{
    *ac = json_string_value(json_object_get(body, "audiocodec"));
    *vc = json_string_value(json_object_get(body, "videocodec"));
    if (*ac && (!vr_codec_list_valid(*ac, false) || !strstr(r->audiocodec, *ac)))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (audiocodec: not allowed in this room)");
    if (*vc && (!vr_codec_list_valid(*vc, true) || !strstr(r->videocodec, *vc)))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (videocodec: not allowed in this room)");
    if (!*ac) *ac = r->audiocodec;
    if (!*vc) *vc = r->videocodec;
    return NULL;
}

/* A new offer on a published handle (renegotiation; an ICE restart shows as new remote
 * credentials, which the core handles when it applies the offer). The answer is
 * built into new stream lists; on success the publisher gets a new forwarding state
 * and its subscribers are moved to it stream by stream (vr_pub_relink), so existing
 * subscribers keep receiving what they received. Streams that went away (port 0,
 * inactive, sendonly-less) leave their subscribers; added ones are announced. */
/* The client's jsep "svc" ([{mindex|mid, svc:"L3T3"}], janus.js sends it for SVC
 * encodings): those video streams are announced with "svc":true (as the worker does once
 * it sees VP9 layer indices). Unknown entries are ignored. */
static void jsep_svc(json_t *jsep, vr_pub_stream *st, int n)
{
    json_t *list = json_object_get(jsep, "svc");
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *e = json_array_get(list, k);
        json_t *mid = json_object_get(e, "mid"), *mindex = json_object_get(e, "mindex");
        if (!json_is_string(json_object_get(e, "svc"))) continue;
        for (int i = 0; i < n; i++) {
            if (!st[i].video) continue;
            if ((json_is_string(mid) && !strcmp(json_string_value(mid), st[i].mid)) ||
                (!json_is_string(mid) && json_is_integer(mindex) &&
                 json_integer_value(mindex) == st[i].mindex))
                st[i].svc = true;
        }
    }
}

static json_t *pub_renegotiate(vr_session *s, json_t *body, json_t *jsep, json_t **answer)
{
    vr_participant *p = s->pub;
    vr_room *r = p->room;
    json_t *err = NULL;
    if (vr_check_field(body, "restart", JSON_TRUE, false, &err) < 0) return err;
    const char *ac, *vc;
    if ((err = offer_codecs(r, body, &ac, &vc))) return err;
    char errtext[256] = "";
    int n = 0;
    vr_pub_stream ns[VR_MAX_STREAMS];
    vr_pub_data nd;
    char *sdp = vr_sdp_publisher_answer(json_string_value(json_object_get(jsep, "sdp")),
                                        ac, vc, ns, &n,
                                        &nd, errtext, sizeof(errtext));
    if (!sdp) return vr_error(VR_ERROR_INVALID_SDP, "Error generating the answer: %s", errtext);
    jsep_svc(jsep, ns, n);
    bool changed = n != p->n_streams || nd.present != p->data.present;
    for (int i = 0; i < n; i++) {
        int o = same_stream(p->streams, p->n_streams, &ns[i]);
        if (o < 0) {
            changed = true;
            continue;
        }
        /* What the room decided about the stream stays with it. */
        ns[i].muted = p->streams[o].muted;
        ns[i].unsent = p->streams[o].unsent;
        ns[i].talking = p->streams[o].talking;
        if (ns[i].simulcast != p->streams[o].simulcast) changed = true;
    }
    json_t *br = json_object_get(body, "bitrate");
    if (br) p->bitrate = json_integer_value(br) > UINT32_MAX ? UINT32_MAX : (uint32_t)json_integer_value(br);
    vr_fwd_pub *fwd = vr_fwd_pub_new(p->handle, ns, n, vr_publisher_bitrate(p), pub_gens + 1, r);
    if (!fwd) {
        free(sdp);
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    }
    vr_fwd_pub *old = p->fwd;
    memcpy(p->streams, ns, sizeof(ns));
    p->n_streams = n;
    p->data = nd;
    p->gen = ++pub_gens;
    p->fwd = fwd;
    atomic_store(&s->fwd_pub, fwd);
    vr_pub_relink(p, old);
    const char *display = json_string_value(json_object_get(body, "display"));
    if (display && (!p->display || strcmp(display, p->display))) {
        free(p->display);
        p->display = strdup(display);
        changed = true;
    }
    if (changed) vr_announce_publisher(p);
    *answer = json_pack("{s:s,s:s}", "type", "answer", "sdp", sdp);
    free(sdp);
    return NULL;
}

/* As Janus: the room hears of a publisher's new entry (streams, display, metadata,
 * descriptions), once its media is up. */
void vr_announce_publisher(vr_participant *p)
{
    if (!p->active) return;
    json_t *ev = vr_room_event(p->room);
    json_t *list = json_array();
    json_array_append_new(list, vr_publisher_entry(p));
    json_object_set_new(ev, "publishers", list);
    vr_broadcast(p->room, p, ev);
    json_decref(ev);
}

/* "metadata" (any JSON), "descriptions" [{mid, description}] and, on configure,
 * "streams" [{mid, send?, keyframe?}]: checked first, then applied. *changed says whether
 * the publisher's entry changed. NULL, or an error event. */
json_t *vr_pub_extras(vr_participant *p, json_t *body, bool with_streams, bool *changed)
{
    json_t *err = NULL, *v;
    json_t *descs = json_object_get(body, "descriptions");
    json_t *streams = with_streams ? json_object_get(body, "streams") : NULL;
    if (vr_check_field(body, "descriptions", JSON_ARRAY, false, &err) < 0) return err;
    size_t i;
    json_array_foreach(descs, i, v) {
        if (!json_is_object(v) || vr_check_field(v, "mid", JSON_STRING, true, &err) < 0 ||
            vr_check_field(v, "description", JSON_STRING, true, &err) < 0) {
            json_decref(err);
            return vr_error(VR_ERROR_INVALID_ELEMENT,
                            "Invalid element (descriptions should contain {mid, description} strings)");
        }
    }
    json_array_foreach(streams, i, v) {
        if (!json_is_object(v) || vr_check_field(v, "mid", JSON_STRING, true, &err) < 0 ||
            vr_check_field(v, "send", JSON_TRUE, false, &err) < 0 ||
            vr_check_field(v, "keyframe", JSON_TRUE, false, &err) < 0) {
            json_decref(err);
            return vr_error(VR_ERROR_INVALID_ELEMENT,
                            "Invalid element (streams should contain {mid, send?, keyframe?})");
        }
        const char *mid = json_string_value(json_object_get(v, "mid"));
        int idx = -1;
        for (int k = 0; k < p->n_streams && idx < 0; k++)
            if (!strcmp(p->streams[k].mid, mid)) idx = k;
        if (idx < 0) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such mid '%s'", mid);
    }
    json_t *md = json_object_get(body, "metadata");
    if (md && !json_equal(md, p->metadata)) {
        json_decref(p->metadata);
        p->metadata = json_incref(md);
        *changed = true;
    }
    if (descs) {
        json_t *d = json_object();
        json_array_foreach(descs, i, v)
            json_object_set(d, json_string_value(json_object_get(v, "mid")), json_object_get(v, "description"));
        if (!json_equal(d, p->descriptions)) *changed = true;
        json_decref(p->descriptions);
        p->descriptions = d;
    }
    int worker = vr_room_worker(p->room);
    json_array_foreach(streams, i, v) {
        const char *mid = json_string_value(json_object_get(v, "mid"));
        for (int k = 0; k < p->n_streams; k++) {
            vr_pub_stream *ps = &p->streams[k];
            if (strcmp(ps->mid, mid)) continue;
            json_t *send = json_object_get(v, "send");
            if (send && json_is_false(send) != ps->unsent) {
                ps->unsent = json_is_false(send);
                if (p->published) vr_fwd_pub_mute(worker, p->fwd, k, ps->muted || ps->unsent);
            }
            if (p->published && json_is_true(json_object_get(v, "keyframe"))) vr_fwd_pub_keyframe(worker, p->fwd);
        }
    }
    return NULL;
}

/* Answers a publish offer. Returns NULL and fills *answer, or an error event. */
json_t *vr_do_publish(vr_session *s, json_t *body, json_t *jsep, json_t **answer)
{
    vr_participant *p = s->pub;
    vr_room *r = p->room;
    json_t *err = NULL;
    static const char *const strs[] = {"audiocodec", "videocodec", "display"};
    for (size_t i = 0; i < 3; i++)
        if (vr_check_field(body, strs[i], JSON_STRING, false, &err) < 0) return err;
    if (vr_check_field(body, "bitrate", JSON_INTEGER, false, &err) < 0) return err;
    if (json_is_true(json_object_get(body, "record")))
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Recording is not supported yet");
    const char *type = json_string_value(json_object_get(jsep, "type"));
    if (!type || strcasecmp(type, "offer"))
        return vr_error(VR_ERROR_INVALID_SDP_TYPE, "Unexpected %s (publishers send offers)",
                        type ? type : "JSEP");
    bool extras = false;
    if ((err = vr_pub_extras(p, body, false, &extras))) return err;
    if (p->published) {
        if (!(err = pub_renegotiate(s, body, jsep, answer)) && extras) vr_announce_publisher(p);
        return err;
    }
    int active = 0;
    for (vr_participant *o = r->participants; o; o = o->next) active += o->published;
    if (active >= r->max_publishers)
        return vr_error(VR_ERROR_PUBLISHERS_FULL, "Maximum number of publishers (%d) already reached",
                        r->max_publishers);
    const char *ac, *vc;
    if ((err = offer_codecs(r, body, &ac, &vc))) return err;
    char errtext[256] = "";
    int n = 0;
    char *sdp = vr_sdp_publisher_answer(json_string_value(json_object_get(jsep, "sdp")),
                                        ac, vc,
                                        p->streams, &n, &p->data, errtext, sizeof(errtext));
    if (!sdp) return vr_error(VR_ERROR_INVALID_SDP, "Error generating the answer: %s", errtext);
    jsep_svc(jsep, p->streams, n);
    p->n_streams = n;
    const char *display = json_string_value(json_object_get(body, "display"));
    if (display) {
        free(p->display);
        p->display = strdup(display);
    }
    p->gen = ++pub_gens;
    p->active = false;
    json_t *br = json_object_get(body, "bitrate");
    if (br) p->bitrate = json_integer_value(br) > UINT32_MAX ? UINT32_MAX : (uint32_t)json_integer_value(br);
    p->fwd = vr_fwd_pub_new(p->handle, p->streams, n, vr_publisher_bitrate(p), p->gen, r);
    if (!p->fwd) {
        free(sdp);
        p->n_streams = 0;
        memset(&p->data, 0, sizeof(p->data));
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    }
    p->published = true;
    atomic_store(&s->fwd_pub, p->fwd);
    *answer = json_pack("{s:s,s:s}", "type", "answer", "sdp", sdp);
    free(sdp);
    /* Others learn about the new publisher when its peer connection is up
     * (setup_media -> vr_notice_active). */
    return NULL;
}

json_t *vr_configured_event(vr_participant *p)
{
    json_t *ev = vr_room_event(p->room);
    json_object_set_new(ev, "configured", json_string("ok"));
    const char *ac = vr_first_codec(p, false), *vc = vr_first_codec(p, true);
    if (ac) json_object_set_new(ev, "audio_codec", json_string(ac));
    if (vc) json_object_set_new(ev, "video_codec", json_string(vc));
    json_object_set_new(ev, "streams", vr_pub_streams_json(p));
    return ev;
}

static bool participant_exists(void *room, uint64_t id) { return vr_find_participant(room, id) != NULL; }

json_t *vr_join_publisher(vr_session *s, vr_room *r, json_t *body, json_t *jsep, json_t **answer)
{
    json_t *err = NULL;
    uint64_t id;
    if (vr_id_field(body, "id", false, &id, &err) < 0 ||
        vr_check_field(body, "display", JSON_STRING, false, &err) < 0)
        return err;
    if ((err = vr_check_secret_(r->pin, body, "pin"))) return err;
    if ((err = vr_check_signed(r, body))) return err;
    if ((err = vr_check_token(r, body))) return err;
    json_t *idv = json_object_get(body, "id");
    char buf[24];
    if (id && vr_find_participant(r, id))
        return vr_error(VR_ERROR_ID_EXISTS, "User ID %s already exists", sy_strid_json_text(idv, buf, sizeof(buf)));
    if (vr_core->set_media_worker(s->handle, vr_room_worker(r)) < 0 && vr_core->worker_count() > 1)
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "This handle already has a PeerConnection");
    int rc = vr_id_take(idv, participant_exists, r, &id);
    if (rc == -1)
        return vr_error(VR_ERROR_ID_EXISTS, "User ID %s already exists", sy_strid_json_text(idv, buf, sizeof(buf)));
    vr_participant *p = rc == 0 ? calloc(1, sizeof(*p)) : NULL;
    if (!p) {
        if (rc == 0) vr_id_release(id);
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    }
    p->room = r;
    p->handle = s->handle;
    p->id = id;
    p->private_id = vr_core->random_id();
    const char *display = json_string_value(json_object_get(body, "display"));
    if (display) p->display = strdup(display);
    p->next = r->participants;
    r->participants = p;
    s->pub = p;
    bool extras = false;
    if (!jsep && (err = vr_pub_extras(p, body, false, &extras))) {
        vr_pub_remove(p);
        return err;
    }
    if (jsep && (err = vr_do_publish(s, body, jsep, answer))) {
        vr_pub_remove(p);
        return err;
    }
    if (r->notify_joining) {
        json_t *ev = vr_room_event(r);
        json_t *who = json_pack("{s:o}", "id", vr_id_json(p->id));
        if (p->display) json_object_set_new(who, "display", json_string(p->display));
        json_object_set_new(ev, "joining", who);
        vr_broadcast(r, p, ev);
        json_decref(ev);
    }
    return NULL;
}

json_t *vr_joined_event(vr_participant *p)
{
    vr_room *r = p->room;
    json_t *ev = json_pack("{s:s,s:o,s:s,s:o,s:I}", "videoroom", "joined", "room", vr_id_json(r->id),
                           "description", r->description, "id", vr_id_json(p->id), "private_id",
                           (json_int_t)p->private_id);
    json_t *pubs = json_array(), *att = json_array();
    for (vr_participant *o = r->participants; o; o = o->next) {
        if (o == p) continue;
        if (o->active) {
            json_array_append_new(pubs, vr_publisher_entry(o));
        } else if (r->notify_joining) {
            json_t *a = json_pack("{s:o}", "id", vr_id_json(o->id));
            if (o->display) json_object_set_new(a, "display", json_string(o->display));
            json_array_append_new(att, a);
        }
    }
    json_object_set_new(ev, "publishers", pubs);
    if (r->notify_joining) json_object_set_new(ev, "attendees", att);
    else json_decref(att);
    return ev;
}

/* configure (no offer) of a publisher: keyframe, display, bitrate. */
json_t *vr_configure_publisher(vr_participant *p, json_t *body)
{
    json_t *err = NULL;
    if (vr_check_field(body, "display", JSON_STRING, false, &err) < 0 ||
        vr_check_field(body, "bitrate", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(body, "keyframe", JSON_TRUE, false, &err) < 0 ||
        vr_check_field(body, "streams", JSON_ARRAY, false, &err) < 0)
        return err;
    if (json_is_true(json_object_get(body, "record")))
        return vr_error(VR_ERROR_UNKNOWN_ERROR, "Recording is not supported yet");
    bool changed = false;
    if ((err = vr_pub_extras(p, body, true, &changed))) return err;
    if (changed) vr_announce_publisher(p);
    const char *display = json_string_value(json_object_get(body, "display"));
    if (display && (!p->display || strcmp(display, p->display))) {
        free(p->display);
        p->display = strdup(display);
        /* As Janus: the others hear of the new name. */
        json_t *ev = json_pack("{s:s,s:o,s:o,s:s}", "videoroom", "event", "room",
                               vr_id_json(p->room->id), "id", vr_id_json(p->id), "display", display);
        vr_broadcast(p->room, p, ev);
        json_decref(ev);
    }
    json_t *br = json_object_get(body, "bitrate");
    if (br) {
        p->bitrate = json_integer_value(br) > UINT32_MAX ? UINT32_MAX : (uint32_t)json_integer_value(br);
        if (p->published)
            vr_fwd_pub_params(vr_room_worker(p->room), p->fwd, vr_publisher_bitrate(p), p->room->fir_freq);
    }
    if (p->published && json_is_true(json_object_get(body, "keyframe")))
        vr_fwd_pub_keyframe(vr_room_worker(p->room), p->fwd);
    return NULL;
}

uint32_t vr_publisher_bitrate(const vr_participant *p)
{
    const vr_room *r = p->room;
    if (!p->bitrate) return r->bitrate;
    if (r->bitrate_cap && r->bitrate && p->bitrate > r->bitrate) return r->bitrate;
    return p->bitrate;
}

void vr_room_media_params_changed(vr_room *r)
{
    for (vr_participant *p = r->participants; p; p = p->next)
        if (p->published) vr_fwd_pub_params(vr_room_worker(r), p->fwd, vr_publisher_bitrate(p), r->fir_freq);
}

