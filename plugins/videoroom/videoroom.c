/*
 * janus.plugin.videoroom: the SFU rooms of the Janus API (janus-api.md section 2),
 * first cut. See vr.h for who owns what on which thread.
 *
 * This file: the plugin descriptor, per-handle sessions, shared helpers, participant
 * teardown, the dispatch of the asynchronous requests (the publisher side is in
 * vr_publisher.c, the subscriber side in vr_subscriber.c), and the media callbacks,
 * which hand over to the worker-owned forwarding state (vr_fwd.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vr.h"

const sy_core_api *vr_core;

/* ---- helpers ---- */

json_t *vr_check_secret_(const char *secret, json_t *body, const char *field)
{
    if (!secret) return NULL;
    json_t *err = NULL;
    if (vr_check_field(body, field, JSON_STRING, true, &err) < 0) return err;
    /* Constant time for equal lengths. */
    const char *given = json_string_value(json_object_get(body, field));
    size_t ls = strlen(secret), lg = strlen(given);
    unsigned char d = ls != lg;
    for (size_t i = 0; i < ls && i < lg; i++) d |= (unsigned char)(secret[i] ^ given[i]);
    if (d) return vr_error(VR_ERROR_UNAUTHORIZED, "Unauthorized (wrong %s)", field);
    return NULL;
}

void vr_push(sy_plugin_handle *h, const char *tr, json_t *ev, json_t *jsep)
{
    vr_core->push_event(h, tr, ev, jsep);
    json_decref(ev);
    json_decref(jsep);
}

static json_t *stream_json(const vr_participant *p, const vr_pub_stream *s)
{
    json_t *o = json_pack("{s:s,s:i,s:s,s:s}", "type", s->video ? "video" : "audio", "mindex",
                          s->mindex, "mid", s->mid, "codec", sy_codec_id(s->codec));
    if (s->simulcast) json_object_set_new(o, "simulcast", json_true());
    if (s->svc || (p->fwd && vr_fwd_pub_svc(p->fwd, (int)(s - p->streams))))
        json_object_set_new(o, "svc", json_true());
    const char *d = json_string_value(json_object_get(p->descriptions, s->mid));
    if (d) json_object_set_new(o, "description", json_string(d));
    if (s->muted) json_object_set_new(o, "moderated", json_true());
    if (!s->video && p->room->audiolevel_event) json_object_set_new(o, "talking", json_boolean(s->talking));
    return o;
}

/* The publisher's streams, in m-line order, the data channel included. */
json_t *vr_pub_streams_json(const vr_participant *p)
{
    json_t *streams = json_array();
    bool data_done = !p->data.present;
    for (int i = 0; i < p->n_streams; i++) {
        if (!data_done && p->data.mindex < p->streams[i].mindex) {
            json_array_append_new(streams, json_pack("{s:s,s:i,s:s}", "type", "data", "mindex",
                                                     p->data.mindex, "mid", p->data.mid));
            data_done = true;
        }
        json_array_append_new(streams, stream_json(p, &p->streams[i]));
    }
    if (!data_done)
        json_array_append_new(streams, json_pack("{s:s,s:i,s:s}", "type", "data", "mindex",
                                                 p->data.mindex, "mid", p->data.mid));
    return streams;
}

bool vr_participant_talking(const vr_participant *p)
{
    for (int i = 0; i < p->n_streams; i++)
        if (p->streams[i].talking) return true;
    return false;
}

const char *vr_first_codec(const vr_participant *p, bool video)
{
    for (int i = 0; i < p->n_streams; i++)
        if (p->streams[i].video == video) return sy_codec_id(p->streams[i].codec);
    return NULL;
}

json_t *vr_publisher_entry(const vr_participant *p)
{
    json_t *o = json_pack("{s:o}", "id", vr_id_json(p->id));
    if (p->display) json_object_set_new(o, "display", json_string(p->display));
    if (p->metadata) json_object_set(o, "metadata", p->metadata);
    const char *ac = vr_first_codec(p, false), *vc = vr_first_codec(p, true);
    if (ac) json_object_set_new(o, "audio_codec", json_string(ac));
    if (vc) json_object_set_new(o, "video_codec", json_string(vc));
    json_object_set_new(o, "streams", vr_pub_streams_json(p));
    if (p->room->audiolevel_event) json_object_set_new(o, "talking", json_boolean(vr_participant_talking(p)));
    return o;
}

vr_participant *vr_find_participant(vr_room *r, uint64_t id)
{
    for (vr_participant *p = r->participants; p; p = p->next)
        if (p->id == id) return p;
    return NULL;
}

json_t *vr_room_event(vr_room *r)
{
    return json_pack("{s:s,s:o}", "videoroom", "event", "room", vr_id_json(r->id));
}

json_t *vr_sub_streams_json(const vr_subscriber *sub)
{
    json_t *list = json_array();
    for (int i = 0; i < sub->n_streams; i++)
        json_array_append_new(list, vr_sub_stream_json(sub, &sub->streams[i]));
    return list;
}

/* The event answering a subscription change: "updated" with the streams plus a new
 * offer (same m-lines in place, new ones appended, removed ones rejected), or
 * "updating" while an earlier offer still waits for its answer: the changes then go
 * out together in one offer once it arrives (start). */
json_t *vr_sub_offer_event(vr_subscriber *sub, json_t **offer)
{
    if (sub->offer_pending) {
        sub->need_offer = true;
        return json_pack("{s:s,s:o}", "videoroom", "updating", "room", vr_id_json(sub->room->id));
    }
    char err[256] = "";
    char *sdp = vr_sdp_subscriber_offer(sub->streams, sub->n_streams, sub->sess_id,
                                        sub->sess_version + 1, err, sizeof(err));
    if (!sdp) return vr_error(VR_ERROR_UNKNOWN_ERROR, "Error generating the offer: %s", err);
    sub->sess_version++;
    *offer = json_pack("{s:s,s:s}", "type", "offer", "sdp", sdp);
    free(sdp);
    sub->offer_pending = true;
    json_t *ev = json_pack("{s:s,s:o}", "videoroom", "updated", "room", vr_id_json(sub->room->id));
    json_object_set_new(ev, "streams", vr_sub_streams_json(sub));
    return ev;
}

/* Unsolicited renegotiation (autoupdate, or changes coalesced behind an answer). */
static void sub_renegotiate(vr_subscriber *sub, const char *tr)
{
    if (sub->pc_gone) return;
    json_t *offer = NULL;
    json_t *ev = vr_sub_offer_event(sub, &offer);
    if (offer && sub->need_restart) {
        sub->need_restart = false;
        json_object_set_new(offer, "restart", json_true());
    }
    if (offer || json_object_get(ev, "error_code")) vr_push(sub->handle, tr, ev, offer);
    else json_decref(ev);
}

void vr_deferred_offer(void *arg)
{
    sy_plugin_handle *h = arg;
    vr_session *s = vr_core->get_plugin_data(h);
    if (s && s->sub && s->sub->need_offer && !s->sub->offer_pending) {
        s->sub->need_offer = false;
        sub_renegotiate(s->sub, NULL);
    }
    vr_core->handle_unref(h);
}

/* ---- worker -> main notices ---- */

typedef struct {
    sy_plugin_handle *h;
    uint64_t gen;
    bool talk, talking;
    int mindex;
    double avg;
} vr_notice;

static void notice_main(void *arg)
{
    vr_notice *n = arg;
    vr_session *s = vr_core->get_plugin_data(n->h);
    vr_participant *p = s ? s->pub : NULL;
    if (p && p->published && p->gen == n->gen) {
        vr_room *r = p->room;
        if (!n->talk && !p->active) {
            /* The publisher is up: the others learn about it now (Janus does it here). */
            p->active = true;
            json_t *ev = vr_room_event(r);
            json_t *list = json_array();
            json_array_append_new(list, vr_publisher_entry(p));
            json_object_set_new(ev, "publishers", list);
            vr_broadcast(r, p, ev);
            json_decref(ev);
        } else if (n->talk) {
            for (int i = 0; i < p->n_streams; i++) {
                vr_pub_stream *ps = &p->streams[i];
                if (ps->mindex != n->mindex) continue;
                ps->talking = n->talking;
                json_t *ev = json_pack("{s:s,s:o,s:o,s:i,s:s,s:f}", "videoroom",
                                       n->talking ? "talking" : "stopped-talking", "room",
                                       vr_id_json(r->id), "id", vr_id_json(p->id), "mindex",
                                       ps->mindex, "mid", ps->mid, "audio-level-dBov-avg", n->avg);
                vr_broadcast(r, NULL, ev); /* the speaker included */
                json_decref(ev);
                break;
            }
        }
    }
    vr_core->handle_unref(n->h);
    free(n);
}

static void notice_post(sy_plugin_handle *h, uint64_t gen, bool talk, int mindex, bool talking,
                        double avg)
{
    vr_notice *n = malloc(sizeof(*n));
    if (!n) return;
    *n = (vr_notice){h, gen, talk, talking, mindex, avg};
    vr_core->handle_ref(h);
    if (vr_core->run_on_main(notice_main, n) < 0) {
        vr_core->handle_unref(h);
        free(n);
    }
}

void vr_notice_active(sy_plugin_handle *h, uint64_t gen) { notice_post(h, gen, false, -1, false, 0); }

void vr_notice_talking(sy_plugin_handle *h, uint64_t gen, int mindex, bool talking, double avg)
{
    notice_post(h, gen, true, mindex, talking, avg);
}

/* ---- teardown (main thread) ---- */

/* Drops a publisher's forwarding state; notify: others get "unpublished". */
static void pub_unpublish(vr_participant *p, bool notify)
{
    if (!p->published) return;
    vr_session *s = vr_core->get_plugin_data(p->handle);
    if (s) atomic_store(&s->fwd_pub, NULL);
    vr_fwd_pub_gone(vr_room_worker(p->room), p->fwd);
    p->fwd = NULL;
    p->published = false;
    p->active = false;
    p->n_streams = 0;
    memset(&p->data, 0, sizeof(p->data));
    for (vr_subscriber *sub = p->room->subscribers; sub; sub = sub->next) {
        bool changed = false;
        /* Its data channel source goes with it (the worker unlinks it: gone). */
        for (int i = 0; i < sub->n_data_feeds; i++)
            if (sub->data_feeds[i] == p->id) sub->data_feeds[i--] = sub->data_feeds[--sub->n_data_feeds];
        for (int i = 0; i < sub->n_streams; i++) {
            vr_sub_stream *st = &sub->streams[i];
            if (st->feed_id != p->id) continue;
            st->feed_id = 0;
            if (sub->autoupdate && !st->removed) {
                st->removed = true;
                changed = true;
            }
        }
        if (changed) sub_renegotiate(sub, NULL);
    }
    if (notify) {
        json_t *ev = vr_room_event(p->room);
        json_object_set_new(ev, "unpublished", vr_id_json(p->id));
        if (p->display) json_object_set_new(ev, "display", json_string(p->display));
        vr_broadcast(p->room, p, ev);
        json_decref(ev);
    }
}

void vr_pub_relink(vr_participant *p, vr_fwd_pub *old)
{
    int worker = vr_room_worker(p->room);
    for (vr_subscriber *sub = p->room->subscribers; sub; sub = sub->next) {
        bool changed = false;
        for (int i = 0; i < sub->n_data_feeds; i++) {
            if (sub->data_feeds[i] != p->id) continue;
            /* The old state's links go with it (OP_PUB_GONE); the new one is linked. */
            if (p->data.present) vr_fwd_sub_data_add(worker, sub->fwd, p->fwd);
            else sub->data_feeds[i--] = sub->data_feeds[--sub->n_data_feeds];
        }
        for (int i = 0; i < sub->n_streams; i++) {
            vr_sub_stream *st = &sub->streams[i];
            if (st->feed_id != p->id || st->data || st->removed) continue;
            int ni = -1;
            for (int k = 0; k < p->n_streams && ni < 0; k++) {
                const vr_pub_stream *ps = &p->streams[k];
                if (!strcmp(ps->mid, st->feed_mid) && ps->video == st->video && ps->codec == st->codec)
                    ni = k;
            }
            if (ni >= 0) {
                /* Same m-line for the subscriber: seq/ts continue (the switch rebases). */
                st->simulcast = p->streams[ni].simulcast;
                vr_fwd_sub_switch(worker, sub->fwd, i, p->fwd, ni, st->simulcast);
                continue;
            }
            st->feed_id = 0;
            if (sub->autoupdate) {
                st->removed = true;
                changed = true;
            }
        }
        if (changed) sub_renegotiate(sub, NULL);
    }
    /* Posted after the switches: the worker moves the subscribers, then frees it. */
    vr_fwd_pub_gone(worker, old);
}

/* Removes a participant from its room and frees it (after pub_unpublish). */
void vr_pub_remove(vr_participant *p)
{
    for (vr_participant **pp = &p->room->participants; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    vr_session *s = vr_core->get_plugin_data(p->handle);
    if (s && s->pub == p) s->pub = NULL;
    vr_id_release(p->id);
    free(p->display);
    json_decref(p->metadata);
    json_decref(p->descriptions);
    free(p);
}

/* A participant leaves: others get "unpublished" (if it was) and "leaving". */
static void pub_leave(vr_participant *p)
{
    pub_unpublish(p, true);
    json_t *ev = vr_room_event(p->room);
    json_object_set_new(ev, "leaving", vr_id_json(p->id));
    if (p->display) json_object_set_new(ev, "display", json_string(p->display));
    vr_broadcast(p->room, p, ev);
    json_decref(ev);
    vr_pub_remove(p);
}

static void sub_remove(vr_subscriber *sub)
{
    vr_session *s = vr_core->get_plugin_data(sub->handle);
    if (s) {
        atomic_store(&s->fwd_sub, NULL);
        if (s->sub == sub) s->sub = NULL;
    }
    vr_fwd_sub_detach(vr_room_worker(sub->room), sub->fwd);
    for (vr_subscriber **pp = &sub->room->subscribers; *pp; pp = &(*pp)->next) {
        if (*pp == sub) {
            *pp = sub->next;
            break;
        }
    }
    for (int i = 0; i < sub->n_streams; i++) free(sub->streams[i].feed_display);
    free(sub);
}

void vr_room_evict_all(vr_room *r)
{
    json_t *ev = json_pack("{s:s,s:o}", "videoroom", "destroyed", "room", vr_id_json(r->id));
    for (vr_subscriber *sub = r->subscribers; sub; sub = sub->next) sub->pc_gone = true;
    while (r->participants) {
        vr_participant *p = r->participants;
        vr_core->push_event(p->handle, NULL, ev, NULL);
        pub_unpublish(p, false);
        vr_core->close_pc(p->handle);
        vr_pub_remove(p);
    }
    while (r->subscribers) {
        vr_subscriber *sub = r->subscribers;
        vr_core->push_event(sub->handle, NULL, ev, NULL);
        vr_core->close_pc(sub->handle);
        sub_remove(sub);
    }
    json_decref(ev);
}

int vr_room_kick(vr_room *r, uint64_t id, char *err, size_t errlen)
{
    vr_participant *p = vr_find_participant(r, id);
    if (!p) {
        char b1[24], b2[24];
        snprintf(err, errlen, "No such user %s in room %s", vr_id_text(id, b1, sizeof(b1)),
                 vr_id_text(r->id, b2, sizeof(b2)));
        return VR_ERROR_NO_SUCH_FEED;
    }
    json_t *ev = vr_room_event(r);
    json_object_set_new(ev, "leaving", json_string("ok"));
    json_object_set_new(ev, "reason", json_string("kicked"));
    vr_push(p->handle, NULL, ev, NULL);
    pub_unpublish(p, true);
    ev = vr_room_event(r);
    json_object_set_new(ev, "kicked", vr_id_json(p->id));
    if (p->display) json_object_set_new(ev, "display", json_string(p->display));
    vr_broadcast(r, p, ev);
    json_decref(ev);
    vr_core->close_pc(p->handle);
    vr_pub_remove(p);
    return 0;
}

json_t *vr_room_moderate(vr_room *r, json_t *body)
{
    json_t *err = NULL;
    uint64_t id;
    if (vr_id_field(body, "id", true, &id, &err) < 0 ||
        vr_check_field(body, "mid", JSON_STRING, true, &err) < 0 ||
        vr_check_field(body, "mute", JSON_TRUE, true, &err) < 0)
        return err;
    char b1[24], b2[24];
    const char *idtext = sy_strid_json_text(json_object_get(body, "id"), b1, sizeof(b1));
    const char *mid = json_string_value(json_object_get(body, "mid"));
    bool mute = json_is_true(json_object_get(body, "mute"));
    vr_participant *p = vr_find_participant(r, id);
    if (!p) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such user %s in room %s", idtext, vr_id_text(r->id, b2, sizeof(b2)));
    int idx = -1;
    for (int i = 0; i < p->n_streams && idx < 0; i++)
        if (!strcmp(p->streams[i].mid, mid)) idx = i;
    if (idx < 0) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such mid '%s' in feed %s", mid, idtext);
    if (p->streams[idx].muted != mute) {
        p->streams[idx].muted = mute;
        if (p->published)
            vr_fwd_pub_mute(vr_room_worker(r), p->fwd, idx, mute || p->streams[idx].unsent);
    }
    json_t *ev = vr_room_event(r);
    json_object_set_new(ev, "id", vr_id_json(id));
    json_object_set_new(ev, "mid", json_string(mid));
    json_object_set_new(ev, "moderation", json_string(mute ? "muted" : "unmuted"));
    vr_broadcast(r, NULL, ev);
    json_decref(ev);
    return json_pack("{s:s}", "videoroom", "success");
}

/* ---- plugin lifecycle ---- */

static int vr_init(const sy_core_api *api, const char *config_dir)
{
    vr_core = api;
    return vr_rooms_load(config_dir);
}

static void vr_destroy(void) { vr_rooms_free(); }

static int vr_create_session(sy_plugin_handle *h)
{
    vr_session *s = calloc(1, sizeof(*s));
    if (!s) return -1;
    s->handle = h;
    atomic_init(&s->fwd_pub, NULL);
    atomic_init(&s->fwd_sub, NULL);
    vr_core->set_plugin_data(h, s);
    return 0;
}

static void vr_destroy_session(sy_plugin_handle *h)
{
    /* The core closed the handle's peer connection already: no media callback runs. */
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) return;
    if (s->pub) pub_leave(s->pub);
    if (s->sub) sub_remove(s->sub);
    vr_core->set_plugin_data(h, NULL);
    free(s);
}

/* ---- requests ---- */

static json_t *handle_join(vr_session *s, json_t *body, json_t *jsep, bool and_configure,
                           json_t **jsep_out)
{
    json_t *err = NULL;
    if (vr_check_field(body, "ptype", JSON_STRING, true, &err) < 0) return err;
    uint64_t rid;
    if (vr_id_field(body, "room", true, &rid, &err) < 0) return err;
    vr_room *r = vr_room_find(rid);
    char buf[24];
    if (!r)
        return vr_error(VR_ERROR_NO_SUCH_ROOM, "No such room (%s)",
                        sy_strid_json_text(json_object_get(body, "room"), buf, sizeof(buf)));
    if (s->pub || s->sub)
        return vr_error(VR_ERROR_ALREADY_JOINED, "Already in as a %s on this handle",
                        s->pub ? "publisher" : "subscriber");
    const char *ptype = json_string_value(json_object_get(body, "ptype"));
    if (!strcmp(ptype, "publisher")) {
        if ((err = vr_join_publisher(s, r, body, and_configure ? jsep : NULL, jsep_out))) return err;
        return vr_joined_event(s->pub);
    }
    if (!strcmp(ptype, "subscriber") || !strcmp(ptype, "listener")) {
        if (jsep) return vr_error(VR_ERROR_INVALID_SDP_TYPE, "Subscribers do not send offers");
        /* A room's pin protects subscribing as much as publishing (Janus checks it
         * for every join). */
        if ((err = vr_check_secret_(r->pin, body, "pin"))) return err;
        if ((err = vr_check_signed(r, body))) return err;
        return vr_join_subscriber(s, r, body, jsep_out);
    }
    return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (ptype)");
}

static json_t *handle_async(vr_session *s, const char *request, json_t *body, json_t *jsep,
                            json_t **jsep_out)
{
    json_t *err = NULL;
    vr_participant *p = s->pub;
    vr_subscriber *sub = s->sub;
    if (!strcmp(request, "join") || !strcmp(request, "joinandconfigure"))
        return handle_join(s, body, jsep, !strcmp(request, "joinandconfigure"), jsep_out);
    if (!p && !sub) return vr_error(VR_ERROR_JOIN_FIRST, "Can't handle '%s' before joining", request);
    if (p) {
        if (!strcmp(request, "publish") || !strcmp(request, "configure")) {
            if (!jsep) {
                if (!strcmp(request, "publish"))
                    return vr_error(VR_ERROR_INVALID_SDP, "Missing SDP offer");
                if ((err = vr_configure_publisher(p, body))) return err;
                json_t *ev = vr_room_event(p->room);
                json_object_set_new(ev, "configured", json_string("ok"));
                return ev;
            }
            if (!strcmp(request, "publish") && p->published)
                return vr_error(VR_ERROR_ALREADY_PUBLISHED, "Can't publish, already published");
            if ((err = vr_do_publish(s, body, jsep, jsep_out))) return err;
            return vr_configured_event(p);
        }
        if (!strcmp(request, "unpublish")) {
            if (!p->published) return vr_error(VR_ERROR_NOT_PUBLISHED, "Can't unpublish, not published");
            vr_room *r = p->room;
            pub_unpublish(p, true);
            vr_core->close_pc(p->handle);
            json_t *ev = vr_room_event(r);
            json_object_set_new(ev, "unpublished", json_string("ok"));
            return ev;
        }
        if (!strcmp(request, "leave")) {
            json_t *ev = vr_room_event(p->room);
            bool had_pc = p->published;
            pub_leave(p);
            if (had_pc) vr_core->close_pc(s->handle);
            json_object_set_new(ev, "leaving", json_string("ok"));
            return ev;
        }
        if (!strcmp(request, "start") || !strcmp(request, "pause") || !strcmp(request, "switch") ||
            !strcmp(request, "subscribe") || !strcmp(request, "unsubscribe") ||
            !strcmp(request, "update"))
            return vr_error(VR_ERROR_INVALID_REQUEST, "Invalid request '%s' for a publisher", request);
        return vr_error(VR_ERROR_INVALID_REQUEST, "Unknown request '%s'", request);
    }
    int worker = vr_room_worker(sub->room);
    if (!strcmp(request, "start")) {
        if (jsep) {
            const char *type = json_string_value(json_object_get(jsep, "type"));
            if (!type || strcasecmp(type, "answer"))
                return vr_error(VR_ERROR_INVALID_SDP_TYPE, "Unexpected offer (subscribers answer)");
            sub->offer_pending = false;
            if (sub->need_offer) {
                /* Changes waited for this answer: offer them once the core applied it. */
                vr_core->handle_ref(sub->handle);
                if (vr_core->run_on_main(vr_deferred_offer, sub->handle) < 0)
                    vr_core->handle_unref(sub->handle);
            }
        }
        if (sub->paused) {
            sub->paused = false;
            vr_fwd_sub_set_paused(worker, sub->fwd, false);
        }
        json_t *ev = vr_room_event(sub->room);
        json_object_set_new(ev, "started", json_string("ok"));
        return ev;
    }
    if (jsep) return vr_error(VR_ERROR_INVALID_SDP_TYPE, "Unexpected JSEP for '%s'", request);
    if (!strcmp(request, "pause")) {
        if (!sub->paused) {
            sub->paused = true;
            vr_fwd_sub_set_paused(worker, sub->fwd, true);
        }
        json_t *ev = vr_room_event(sub->room);
        json_object_set_new(ev, "paused", json_string("ok"));
        return ev;
    }
    if (!strcmp(request, "configure")) {
        if ((err = vr_configure_subscriber(sub, body))) return err;
        if (json_is_true(json_object_get(body, "restart"))) {
            /* A new offer with an ICE restart (the core changes our credentials), or
             * once the pending answer has come. */
            json_t *offer = NULL, *uev = vr_sub_offer_event(sub, &offer);
            if (json_object_get(uev, "error_code")) return uev;
            json_decref(uev);
            if (offer) {
                json_object_set_new(offer, "restart", json_true());
                *jsep_out = offer;
            } else {
                sub->need_restart = true;
            }
        }
        json_t *ev = vr_room_event(sub->room);
        json_object_set_new(ev, "configured", json_string("ok"));
        return ev;
    }
    if (!strcmp(request, "subscribe") || !strcmp(request, "unsubscribe") || !strcmp(request, "update")) {
        json_t *add = NULL, *del = NULL;
        if (!strcmp(request, "update")) {
            if (vr_check_field(body, "subscribe", JSON_ARRAY, false, &err) < 0 ||
                vr_check_field(body, "unsubscribe", JSON_ARRAY, false, &err) < 0)
                return err;
            add = json_object_get(body, "subscribe");
            del = json_object_get(body, "unsubscribe");
            if (!add && !del)
                return vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (subscribe or unsubscribe)");
        } else {
            if (vr_check_field(body, "streams", JSON_ARRAY, true, &err) < 0) return err;
            if (!strcmp(request, "subscribe")) add = json_object_get(body, "streams");
            else del = json_object_get(body, "streams");
        }
        if (sub->pc_gone) return vr_error(VR_ERROR_UNKNOWN_ERROR, "The PeerConnection is gone");
        return vr_sub_update(sub, add, del, jsep_out);
    }
    if (!strcmp(request, "switch")) return vr_sub_switch(sub, body);
    if (!strcmp(request, "leave")) {
        json_t *ev = vr_room_event(sub->room);
        sub_remove(sub);
        vr_core->close_pc(s->handle);
        json_object_set_new(ev, "left", json_string("ok"));
        return ev;
    }
    if (!strcmp(request, "publish") || !strcmp(request, "unpublish"))
        return vr_error(VR_ERROR_INVALID_REQUEST, "Invalid request '%s' for a subscriber", request);
    return vr_error(VR_ERROR_INVALID_REQUEST, "Unknown request '%s'", request);
}

static const char *const async_requests[] = {
    "join", "joinandconfigure", "configure", "publish", "unpublish", "start",
    "pause", "switch", "subscribe", "unsubscribe", "update", "leave",
};

static sy_plugin_result vr_handle_message(sy_plugin_handle *h, const char *tr, json_t *body,
                                          json_t *jsep)
{
    sy_plugin_result res = {SY_PLUGIN_OK, NULL, NULL};
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) {
        res.type = SY_PLUGIN_ERROR;
        res.text = "No session associated with this handle";
        return res;
    }
    json_t *req = json_object_get(body, "request");
    if (!req) {
        res.content = vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (request)");
        return res;
    }
    if (!json_is_string(req)) {
        res.content = vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (request should be a string)");
        return res;
    }
    const char *request = json_string_value(req);
    bool async = false;
    for (size_t i = 0; i < sizeof(async_requests) / sizeof(async_requests[0]); i++)
        if (!strcasecmp(request, async_requests[i])) async = true;
    if (!async) {
        if (jsep) {
            res.content = vr_error(VR_ERROR_INVALID_REQUEST, "Request '%s' takes no JSEP", request);
            return res;
        }
        res.content = vr_rooms_handle_sync(request, body);
        if (!res.content) res.content = vr_error(VR_ERROR_INVALID_REQUEST, "Unknown request '%s'", request);
        return res;
    }
    /* Asynchronous: ack now, the event follows (pushed events are queued behind it). */
    char lower[32];
    snprintf(lower, sizeof(lower), "%s", request);
    for (char *c = lower; *c; c++) *c = (char)(*c | 0x20);
    json_t *jsep_out = NULL;
    json_t *ev = handle_async(s, lower, body, jsep, &jsep_out);
    vr_push(h, tr, ev, jsep_out);
    res.type = SY_PLUGIN_OK_WAIT;
    return res;
}

/* ---- media ---- */

static void vr_setup_media(sy_plugin_handle *h)
{
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) return;
    vr_fwd_pub *p = atomic_load(&s->fwd_pub);
    if (p) vr_fwd_pub_setup(p);
    vr_fwd_subscriber *sub = atomic_load(&s->fwd_sub);
    if (sub) vr_fwd_sub_setup(sub);
}

static void vr_incoming_rtp(sy_plugin_handle *h, sy_rtp_packet *pkt)
{
    vr_session *s = vr_core->get_plugin_data(h);
    vr_fwd_pub *p = s ? atomic_load(&s->fwd_pub) : NULL;
    if (p) vr_fwd_pub_rtp(p, pkt);
}

static void vr_incoming_data(sy_plugin_handle *h, const char *label, const char *protocol,
                             bool binary, const uint8_t *buf, size_t len)
{
    /* A publisher's message goes to its subscribers; subscribers' own are dropped. */
    vr_session *s = vr_core->get_plugin_data(h);
    vr_fwd_pub *p = s ? atomic_load(&s->fwd_pub) : NULL;
    if (p) vr_fwd_pub_data(p, label, protocol, binary, buf, len);
}

static void vr_incoming_rtcp(sy_plugin_handle *h, int mindex, bool video, const uint8_t *buf,
                             size_t len)
{
    (void)video;
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) return;
    vr_fwd_pub *p = atomic_load(&s->fwd_pub);
    if (p) vr_fwd_pub_rtcp(p);
    vr_fwd_subscriber *sub = atomic_load(&s->fwd_sub);
    if (sub) vr_fwd_sub_rtcp(sub, mindex, buf, len);
}

static void vr_incoming_nack(sy_plugin_handle *h, int mindex, const uint16_t *seqs, int n)
{
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) return;
    vr_fwd_subscriber *sub = atomic_load(&s->fwd_sub);
    if (sub) vr_fwd_sub_nack(sub, mindex, seqs, n);
}

static void vr_hangup_media(sy_plugin_handle *h)
{
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) return;
    if (s->pub && s->pub->published) pub_unpublish(s->pub, true);
    if (s->sub) {
        s->sub->pc_gone = true;
        vr_fwd_sub_set_up(vr_room_worker(s->sub->room), s->sub->fwd, false);
    }
}

static json_t *vr_query_session(sy_plugin_handle *h)
{
    vr_session *s = vr_core->get_plugin_data(h);
    if (!s) return NULL;
    if (s->pub) {
        bool policed = false;
        uint64_t drops = 0;
        if (s->pub->fwd) vr_fwd_pub_police_stats(s->pub->fwd, &policed, &drops);
        return json_pack("{s:s,s:o,s:o,s:b,s:b,s:I}", "type", "publisher", "room",
                         vr_id_json(s->pub->room->id), "id", vr_id_json(s->pub->id), "published",
                         s->pub->published, "policed", policed, "policed-drops",
                         (json_int_t)drops);
    }
    if (s->sub)
        return json_pack("{s:s,s:o,s:b,s:i,s:I}", "type", "subscriber", "room",
                         vr_id_json(s->sub->room->id), "paused", s->sub->paused, "streams",
                         s->sub->n_streams, "nacks-over-budget",
                         (json_int_t)(s->sub->fwd ? vr_fwd_sub_rtx_refused(s->sub->fwd) : 0));
    return json_pack("{s:s}", "type", "none");
}

static const sy_plugin videoroom = {
    .api_version = SY_PLUGIN_API_VERSION,
    .package = "janus.plugin.videoroom",
    .name = "VideoRoom",
    .description = "An SFU: publishers and subscribers in rooms (Janus VideoRoom API)",
    .author = "The Switchyard developers",
    .version_string = "0.1.0",
    .version = 100,
    .init = vr_init,
    .destroy = vr_destroy,
    .create_session = vr_create_session,
    .handle_message = vr_handle_message,
    .destroy_session = vr_destroy_session,
    .query_session = vr_query_session,
    .setup_media = vr_setup_media,
    .incoming_rtp = vr_incoming_rtp,
    .incoming_rtcp = vr_incoming_rtcp,
    .incoming_nack = vr_incoming_nack,
    .hangup_media = vr_hangup_media,
    .incoming_data = vr_incoming_data,
};

__attribute__((visibility("default"))) const sy_plugin *switchyard_plugin_create(void)
{
    return &videoroom;
}
