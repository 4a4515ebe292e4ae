/*
 * janus.plugin.videoroom: subscribers (main thread): join with streams (or the legacy
 * feed), configure, subscribe/unsubscribe/update with their renegotiation, switch
 * (also the legacy {feed}).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vr.h"

/* ---- subscribers ---- */

/* One {feed, mid, sub_mid} item of unsubscribe or switch (all three required when
 * required is set; list names the array in errors). NULL when valid, else the error. */
/* A requested simulcast layer (0..2; absent means the highest), clamped before it is
 * narrowed: 2^31 or -1 must not become a negative layer. */
static int layer_of(json_t *v)
{
    if (!v) return 2;
    json_int_t l = json_integer_value(v);
    return l < 0 ? 0 : l > 2 ? 2 : (int)l;
}

/* "fallback" in microseconds (Janus: default 250000), bounded to 10 s. */
static int fallback_of(json_t *v)
{
    json_int_t f = v ? json_integer_value(v) : 0;
    return f <= 0 ? 0 : f > 10000000 ? 10000000 : (int)f;
}

/* spatial_layer / temporal_layer (VP9 SVC): integers when present. Janus clamps any
 * integer to the layers there are; negative ones are refused like the other layers. */
static json_t *check_svc_fields(json_t *item)
{
    json_t *err = NULL;
    if (vr_check_field(item, "spatial_layer", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(item, "temporal_layer", JSON_INTEGER, false, &err) < 0)
        return err;
    return NULL;
}

static json_t *read_stream_ref(json_t *item, bool required, const char *list, uint64_t *feed,
                               const char **mid, const char **sub_mid)
{
    json_t *err = NULL;
    if (!json_is_object(item))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (%s should contain objects)", list);
    if (vr_id_field(item, "feed", required, feed, &err) < 0 ||
        vr_check_field(item, "mid", JSON_STRING, required, &err) < 0 ||
        vr_check_field(item, "sub_mid", JSON_STRING, required, &err) < 0)
        return err;
    /* A string ID nobody holds: a feed that matches no stream (0 would mean none given). */
    if (vr_ids.on && !*feed && json_object_get(item, "feed")) *feed = UINT64_MAX;
    *mid = json_string_value(json_object_get(item, "mid"));
    *sub_mid = json_string_value(json_object_get(item, "sub_mid"));
    return NULL;
}

/* The slot for a new stream: an inactive (removed) m-line of the same kind is reused, as
 * Janus does, so a long-lived subscription does not run out of m-lines as publishers
 * come and go; otherwise a new m-line is appended. -1 when all are in use. */
static int take_slot(vr_subscriber *sub, bool data, bool video)
{
    int i;
    for (i = 0; i < sub->n_streams; i++) {
        const vr_sub_stream *st = &sub->streams[i];
        if (st->removed && st->data == data && (data || st->video == video)) break;
    }
    if (i == sub->n_streams) {
        if (sub->n_streams >= VR_MAX_STREAMS) return -1;
        sub->n_streams++;
    }
    vr_sub_stream *st = &sub->streams[i];
    if (st->removed) free(st->feed_display);
    memset(st, 0, sizeof(*st));
    st->mindex = i;
    snprintf(st->mid, sizeof(st->mid), "%d", i);
    return i;
}

/* Adds the streams of one {feed, mid?} to sub; src/owners get the publisher streams and
 * added[] marks the slots filled. */
static json_t *add_feed(vr_subscriber *sub, vr_room *r, json_t *item, const vr_pub_stream **src,
                        vr_participant **owners, bool *added)
{
    json_t *err = NULL;
    uint64_t feed;
    if (vr_id_field(item, "feed", true, &feed, &err) < 0 ||
        vr_check_field(item, "mid", JSON_STRING, false, &err) < 0 ||
        vr_check_field(item, "substream", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(item, "temporal", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(item, "fallback", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(item, "send", JSON_TRUE, false, &err) < 0 ||
        (err = check_svc_fields(item)))
        return err;
    char ftext[24];
    const char *feed_text = sy_strid_json_text(json_object_get(item, "feed"), ftext, sizeof(ftext));
    vr_participant *p = vr_find_participant(r, feed);
    if (!p || !p->published) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such feed (%s)", feed_text);
    const char *mid = json_string_value(json_object_get(item, "mid"));
    json_t *v;
    int found = 0;
    for (int i = 0; i < p->n_streams; i++) {
        const vr_pub_stream *ps = &p->streams[i];
        if (mid && strcmp(mid, ps->mid)) continue;
        found++;
        int slot = take_slot(sub, false, ps->video);
        if (slot < 0)
            return vr_error(VR_ERROR_INVALID_ELEMENT, "Too many streams (at most %d)", VR_MAX_STREAMS);
        vr_sub_stream *st = &sub->streams[slot];
        st->feed_id = p->id;
        snprintf(st->feed_mid, sizeof(st->feed_mid), "%s", ps->mid);
        st->feed_display = p->display ? strdup(p->display) : NULL;
        st->video = ps->video;
        st->codec = ps->codec;
        st->pt = ps->pt;
        st->rtx_pt = ps->rtx_pt;
        snprintf(st->fmtp, sizeof(st->fmtp), "%s", ps->fmtp);
        st->send = !(v = json_object_get(item, "send")) || json_is_true(v);
        st->simulcast = ps->simulcast;
        /* Clamped before narrowing: 2^31 must not become a negative layer. */
        st->substream = layer_of(json_object_get(item, "substream"));
        st->temporal = layer_of(json_object_get(item, "temporal"));
        st->fallback_us = fallback_of(json_object_get(item, "fallback"));
        st->spatial_layer = layer_of(json_object_get(item, "spatial_layer"));
        st->temporal_layer = layer_of(json_object_get(item, "temporal_layer"));
        src[slot] = ps;
        owners[slot] = p;
        added[slot] = true;
    }
    if (p->data.present && (!mid || !strcmp(mid, p->data.mid))) {
        /* One data m-line per subscription, fed by every subscribed publisher with data. */
        found++;
        bool have = false;
        for (int i = 0; i < sub->n_data_feeds && !have; i++) have = sub->data_feeds[i] == p->id;
        if (!have) {
            if (sub->n_data_feeds >= VR_MAX_STREAMS)
                return vr_error(VR_ERROR_INVALID_ELEMENT, "Too many data sources (at most %d)",
                                VR_MAX_STREAMS);
            sub->data_feeds[sub->n_data_feeds++] = p->id;
        }
        bool has_line = false;
        for (int i = 0; i < sub->n_streams && !has_line; i++)
            has_line = sub->streams[i].data && !sub->streams[i].removed;
        if (!has_line) {
            int slot = take_slot(sub, true, false);
            if (slot < 0)
                return vr_error(VR_ERROR_INVALID_ELEMENT, "Too many streams (at most %d)", VR_MAX_STREAMS);
            vr_sub_stream *st = &sub->streams[slot];
            st->data = true;
            st->send = true;
            src[slot] = NULL;
            owners[slot] = NULL;
            added[slot] = true;
        }
    }
    if (!found) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such mid '%s' in feed %s", mid, feed_text);
    return NULL;
}

json_t *vr_sub_stream_json(const vr_subscriber *sub, const vr_sub_stream *st)
{
    if (st->data) {
        /* As Janus: the one data m-line, with the publishers it relays. */
        json_t *ids = json_array();
        bool ready = false;
        for (int i = 0; i < sub->n_data_feeds; i++) {
            json_array_append_new(ids, vr_id_json(sub->data_feeds[i]));
            vr_participant *p = vr_find_participant(sub->room, sub->data_feeds[i]);
            if (p && p->active) ready = true;
        }
        bool active = !st->removed && sub->n_data_feeds > 0;
        return json_pack("{s:i,s:s,s:s,s:b,s:b,s:b,s:i,s:o}", "mindex", st->mindex, "mid", st->mid,
                         "type", "data", "active", active, "send", st->send, "ready",
                         active && ready, "sources", sub->n_data_feeds, "source_ids", ids);
    }
    json_t *o = json_pack("{s:i,s:s,s:s,s:b,s:o,s:s,s:b,s:s,s:b}", "mindex", st->mindex, "mid",
                          st->mid, "type", st->video ? "video" : "audio", "active", st->feed_id != 0,
                          "feed_id", vr_id_json(st->feed_id), "feed_mid", st->feed_mid, "send",
                          st->send, "codec", sy_codec_id(st->codec), "ready", false);
    /* String IDs: no feed_id once the feed is gone (as Janus, which leaves it out). */
    if (vr_ids.on && !st->feed_id) json_object_del(o, "feed_id");
    vr_participant *p = st->feed_id ? vr_find_participant(sub->room, st->feed_id) : NULL;
    if (p && p->active && !st->removed) json_object_set_new(o, "ready", json_true());
    if (st->removed) json_object_set_new(o, "active", json_false());
    if (st->feed_display) json_object_set_new(o, "feed_display", json_string(st->feed_display));
    if (st->simulcast)
        json_object_set_new(o, "simulcast",
                            json_pack("{s:i,s:i,s:i,s:i}", "substream", -1, "substream-target",
                                      st->substream, "temporal-layer", -1,
                                      "temporal-layer-target", st->temporal));
    if (st->video && p && !st->removed) {
        int k = -1;
        for (int i = 0; i < p->n_streams && k < 0; i++)
            if (!strcmp(p->streams[i].mid, st->feed_mid)) k = i;
        if (k >= 0 && (p->streams[k].svc || (p->fwd && vr_fwd_pub_svc(p->fwd, k))))
            json_object_set_new(o, "svc",
                                json_pack("{s:i,s:i,s:i,s:i}", "spatial-layer", -1,
                                          "target-spatial-layer", st->spatial_layer,
                                          "temporal-layer", -1, "target-temporal-layer",
                                          st->temporal_layer));
    }
    return o;
}

json_t *vr_join_subscriber(vr_session *s, vr_room *r, json_t *body, json_t **offer)
{
    json_t *err = NULL;
    uint64_t feed_id;
    if (vr_check_field(body, "streams", JSON_ARRAY, false, &err) < 0 ||
        vr_id_field(body, "feed", false, &feed_id, &err) < 0 ||
        vr_check_field(body, "private_id", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(body, "autoupdate", JSON_TRUE, false, &err) < 0)
        return err;
    json_t *streams = json_object_get(body, "streams");
    json_t *feed = json_object_get(body, "feed");
    bool legacy = !streams && feed;
    if (!streams && !feed) return vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (streams)");
    if (streams && json_array_size(streams) == 0)
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (streams should be a non-empty array)");
    if (r->require_pvtid) {
        uint64_t pvt = (uint64_t)json_integer_value(json_object_get(body, "private_id"));
        bool ok = false;
        for (vr_participant *p = r->participants; p && !ok; p = p->next) ok = pvt && p->private_id == pvt;
        if (!ok) return vr_error(VR_ERROR_UNAUTHORIZED, "Unauthorized (this room requires a valid private_id)");
    }
    vr_subscriber *sub = calloc(1, sizeof(*sub));
    if (!sub) return vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    sub->room = r;
    sub->handle = s->handle;
    const vr_pub_stream *src[VR_MAX_STREAMS];
    vr_participant *owners[VR_MAX_STREAMS];
    bool added[VR_MAX_STREAMS] = {false};
    if (legacy) {
        err = add_feed(sub, r, body, src, owners, added);
    } else {
        for (size_t i = 0; i < json_array_size(streams) && !err; i++) {
            json_t *item = json_array_get(streams, i);
            if (!json_is_object(item))
                err = vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (streams should contain objects)");
            else
                err = add_feed(sub, r, item, src, owners, added);
        }
    }
    char errtext[256] = "";
    char *sdp = NULL;
    if (!err && vr_core->set_media_worker(s->handle, vr_room_worker(r)) < 0 &&
        vr_core->worker_count() > 1)
        err = vr_error(VR_ERROR_UNKNOWN_ERROR, "This handle already has a PeerConnection");
    sub->sess_id = vr_core->random_id();
    sub->sess_version = 1;
    sub->autoupdate = !json_is_false(json_object_get(body, "autoupdate"));
    sub->offer_pending = true;
    if (!err && !(sdp = vr_sdp_subscriber_offer(sub->streams, sub->n_streams, sub->sess_id,
                                                sub->sess_version, errtext, sizeof(errtext))))
        err = vr_error(VR_ERROR_UNKNOWN_ERROR, "Error generating the offer: %s", errtext);
    if (!err && !(sub->fwd = vr_fwd_sub_new(s->handle, r->id)))
        err = vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    if (err) {
        for (int i = 0; i < sub->n_streams; i++) free(sub->streams[i].feed_display);
        free(sub);
        free(sdp);
        return err;
    }
    for (int i = 0; i < sub->n_streams; i++) {
        vr_participant *p = owners[i];
        if (!p) { /* the data m-line */
            vr_fwd_sub_add_stream(sub->fwd, &sub->streams[i], 0, NULL, 0);
            continue;
        }
        uint32_t clock = sy_codec_clock_rate(sub->streams[i].codec);
        vr_fwd_sub_add_stream(sub->fwd, &sub->streams[i], clock, p->fwd, (int)(src[i] - p->streams));
    }
    for (int i = 0; i < sub->n_data_feeds; i++) {
        vr_participant *p = vr_find_participant(r, sub->data_feeds[i]);
        if (p && p->published) vr_fwd_sub_data_src(sub->fwd, p->fwd);
    }
    sub->next = r->subscribers;
    r->subscribers = sub;
    s->sub = sub;
    atomic_store(&s->fwd_sub, sub->fwd);
    vr_fwd_sub_attach(vr_room_worker(r), sub->fwd);
    *offer = json_pack("{s:s,s:s}", "type", "offer", "sdp", sdp);
    free(sdp);
    json_t *ev = json_pack("{s:s,s:o}", "videoroom", "attached", "room", vr_id_json(r->id));
    json_t *list = json_array();
    for (int i = 0; i < sub->n_streams; i++)
        json_array_append_new(list, vr_sub_stream_json(sub, &sub->streams[i]));
    json_object_set_new(ev, "streams", list);
    (void)src;
    if (legacy) {
        vr_participant *p = owners[0];
        json_object_set_new(ev, "id", vr_id_json(p->id));
        if (p->display) json_object_set_new(ev, "display", json_string(p->display));
        json_object_set_new(ev, "warning", json_string("deprecated_api"));
    }
    return ev;
}

/* Applies one {mid?, send?, substream?, temporal?} (mid absent: every stream). */
static json_t *configure_sub_item(vr_subscriber *sub, json_t *item, const char *only_type)
{
    json_t *err = NULL;
    if (vr_check_field(item, "mid", JSON_STRING, false, &err) < 0 ||
        vr_check_field(item, "send", JSON_TRUE, false, &err) < 0 ||
        vr_check_field(item, "substream", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(item, "temporal", JSON_INTEGER, false, &err) < 0 ||
        vr_check_field(item, "fallback", JSON_INTEGER, false, &err) < 0 ||
        (err = check_svc_fields(item)))
        return err;
    const char *mid = json_string_value(json_object_get(item, "mid"));
    json_t *send = json_object_get(item, "send");
    json_t *fb = json_object_get(item, "fallback");
    json_t *ss = json_object_get(item, "substream"), *tl = json_object_get(item, "temporal");
    json_t *sl = json_object_get(item, "spatial_layer"), *tll = json_object_get(item, "temporal_layer");
    int worker = vr_room_worker(sub->room);
    bool found = false;
    for (int i = 0; i < sub->n_streams; i++) {
        vr_sub_stream *st = &sub->streams[i];
        if (mid && strcmp(mid, st->mid)) continue;
        if (only_type && strcmp(only_type, st->data ? "data" : st->video ? "video" : "audio")) continue;
        found = true;
        if (fb && st->simulcast) {
            st->fallback_us = fallback_of(fb);
            vr_fwd_sub_set_fallback(worker, sub->fwd, i, st->fallback_us);
        }
        if (send && json_is_true(send) != st->send) {
            st->send = json_is_true(send);
            vr_fwd_sub_set_send(worker, sub->fwd, i, st->send);
        }
        if ((ss || tl) && st->simulcast) {
            if (ss) st->substream = layer_of(ss);
            if (tl) st->temporal = layer_of(tl);
            vr_fwd_sub_set_layers(worker, sub->fwd, i, st->substream, st->temporal);
        }
        if ((sl || tll) && st->video) {
            /* Any video stream: the publisher's SVC may start after the subscription. */
            if (sl) st->spatial_layer = layer_of(sl);
            if (tll) st->temporal_layer = layer_of(tll);
            vr_fwd_sub_set_svc(worker, sub->fwd, i, st->spatial_layer, st->temporal_layer);
        }
    }
    if (mid && !found) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such mid '%s'", mid);
    return NULL;
}

json_t *vr_configure_subscriber(vr_subscriber *sub, json_t *body)
{
    json_t *err = NULL;
    if (vr_check_field(body, "streams", JSON_ARRAY, false, &err) < 0 ||
        vr_check_field(body, "audio", JSON_TRUE, false, &err) < 0 ||
        vr_check_field(body, "video", JSON_TRUE, false, &err) < 0 ||
        vr_check_field(body, "data", JSON_TRUE, false, &err) < 0 ||
        vr_check_field(body, "restart", JSON_TRUE, false, &err) < 0)
        return err;
    json_t *streams = json_object_get(body, "streams");
    if (streams) {
        for (size_t i = 0; i < json_array_size(streams); i++) {
            json_t *item = json_array_get(streams, i);
            if (!json_is_object(item))
                return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (streams should contain objects)");
            if ((err = configure_sub_item(sub, item, NULL))) return err;
        }
        return NULL;
    }
    /* Legacy 0.x: top-level mid/send/substream/temporal, or audio/video booleans. */
    static const char *const kinds[] = {"audio", "video", "data"};
    for (int k = 0; k < 3; k++) {
        json_t *v = json_object_get(body, kinds[k]);
        if (!v) continue;
        json_t *item = json_pack("{s:O}", "send", v);
        err = configure_sub_item(sub, item, kinds[k]);
        json_decref(item);
        if (err) return err;
    }
    return configure_sub_item(sub, body, NULL);
}

/* subscribe / unsubscribe / update: changes the subscription, then renegotiates. */
json_t *vr_sub_update(vr_subscriber *sub, json_t *add, json_t *del, json_t **offer)
{
    vr_room *r = sub->room;
    bool rm[VR_MAX_STREAMS] = {false};
    uint64_t data_rm[VR_MAX_STREAMS]; /* feeds whose data channel is unsubscribed */
    int n_data_rm = 0;
    for (size_t i = 0; i < json_array_size(del); i++) {
        uint64_t feed;
        const char *mid, *sub_mid;
        json_t *err = read_stream_ref(json_array_get(del, i), false, "unsubscribe", &feed, &mid, &sub_mid);
        if (err) return err;
        if (!feed && !sub_mid)
            return vr_error(VR_ERROR_MISSING_ELEMENT, "Missing element (feed or sub_mid)");
        for (int j = 0; j < sub->n_streams; j++) {
            const vr_sub_stream *st = &sub->streams[j];
            if (st->removed) continue;
            if (sub_mid ? strcmp(sub_mid, st->mid) != 0
                        : (st->feed_id != feed || (mid && strcmp(mid, st->feed_mid))))
                continue;
            rm[j] = true;
        }
        vr_participant *dp = feed ? vr_find_participant(r, feed) : NULL;
        if (dp && dp->data.present && (!mid || !strcmp(mid, dp->data.mid)) &&
            n_data_rm < VR_MAX_STREAMS)
            data_rm[n_data_rm++] = feed;
    }
    /* Unsubscribing the data m-line itself drops every data source. */
    for (int j = 0; j < sub->n_streams; j++) {
        if (!rm[j] || !sub->streams[j].data) continue;
        for (int k = 0; k < sub->n_data_feeds && n_data_rm < VR_MAX_STREAMS; k++)
            data_rm[n_data_rm++] = sub->data_feeds[k];
    }
    int old_n = sub->n_streams, old_nd = sub->n_data_feeds;
    const vr_pub_stream *src[VR_MAX_STREAMS];
    vr_participant *owners[VR_MAX_STREAMS];
    bool added[VR_MAX_STREAMS] = {false};
    /* Reused slots are overwritten in place: keep what they held for a rollback. */
    vr_sub_stream *saved = malloc(sizeof(sub->streams));
    if (!saved) return vr_error(VR_ERROR_UNKNOWN_ERROR, "Out of memory");
    memcpy(saved, sub->streams, sizeof(sub->streams));
    json_t *err = NULL;
    for (size_t i = 0; i < json_array_size(add) && !err; i++) {
        json_t *item = json_array_get(add, i);
        if (!json_is_object(item))
            err = vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (subscribe should contain objects)");
        else
            err = add_feed(sub, r, item, src, owners, added);
    }
    if (err) {
        for (int i = 0; i < sub->n_streams; i++)
            if (added[i]) free(sub->streams[i].feed_display);
        /* take_slot freed the displays of the slots it reused: they were removed
         * streams, whose display nobody reads; clear them in the restored copy. */
        for (int i = 0; i < old_n; i++)
            if (added[i]) saved[i].feed_display = NULL;
        memcpy(sub->streams, saved, sizeof(sub->streams));
        free(saved);
        sub->n_streams = old_n;
        sub->n_data_feeds = old_nd;
        return err;
    }
    free(saved);
    int worker = vr_room_worker(r);
    bool changed = false;
    for (int i = 0; i < sub->n_streams; i++) changed |= added[i];
    for (int i = 0; i < n_data_rm; i++) {
        for (int k = 0; k < sub->n_data_feeds; k++) {
            if (sub->data_feeds[k] != data_rm[i]) continue;
            vr_participant *p = vr_find_participant(r, data_rm[i]);
            if (p && p->published) vr_fwd_sub_data_del(worker, sub->fwd, p->fwd);
            sub->data_feeds[k] = sub->data_feeds[--sub->n_data_feeds];
            if (k < old_nd) old_nd--; /* moved, not new */
            break;
        }
    }
    for (int i = old_nd; i < sub->n_data_feeds; i++) {
        vr_participant *p = vr_find_participant(r, sub->data_feeds[i]);
        if (p && p->published) vr_fwd_sub_data_add(worker, sub->fwd, p->fwd);
    }
    for (int i = 0; i < sub->n_streams; i++) {
        if (!added[i]) continue;
        vr_participant *p = owners[i];
        if (!p) { /* the data m-line */
            vr_fwd_sub_add(worker, sub->fwd, &sub->streams[i], 0, NULL, 0);
            continue;
        }
        vr_fwd_sub_add(worker, sub->fwd, &sub->streams[i], sy_codec_clock_rate(sub->streams[i].codec),
                       p->fwd, (int)(src[i] - p->streams));
    }
    for (int i = 0; i < old_n; i++) {
        if (!rm[i] || added[i]) continue;
        sub->streams[i].removed = true;
        sub->streams[i].feed_id = 0;
        vr_fwd_sub_remove(worker, sub->fwd, i);
        changed = true;
    }
    if (!changed) return json_pack("{s:s,s:o}", "videoroom", "updated", "room", vr_id_json(r->id));
    return vr_sub_offer_event(sub, offer);
}

/* Legacy 0.x switch {feed, audio?, video?}: every audio/video m-line of the subscription
 * (of the kinds not turned off) takes the feed's first stream of its kind and codec.
 * Returns the 1.x streams list, or NULL with *err. */
static json_t *legacy_switch_streams(vr_subscriber *sub, json_t *body, json_t **err)
{
    uint64_t feed;
    if (vr_id_field(body, "feed", true, &feed, err) < 0 ||
        vr_check_field(body, "audio", JSON_TRUE, false, err) < 0 ||
        vr_check_field(body, "video", JSON_TRUE, false, err) < 0)
        return NULL;
    char ftext[24];
    const char *feed_text = sy_strid_json_text(json_object_get(body, "feed"), ftext, sizeof(ftext));
    vr_participant *p = vr_find_participant(sub->room, feed);
    if (!p || !p->published) {
        *err = vr_error(VR_ERROR_NO_SUCH_FEED, "No such feed (%s)", feed_text);
        return NULL;
    }
    bool want_audio = !json_is_false(json_object_get(body, "audio"));
    bool want_video = !json_is_false(json_object_get(body, "video"));
    json_t *list = json_array();
    bool used[VR_MAX_STREAMS] = {false};
    for (int i = 0; i < sub->n_streams; i++) {
        const vr_sub_stream *st = &sub->streams[i];
        if (st->removed || st->data || (st->video ? !want_video : !want_audio)) continue;
        for (int j = 0; j < p->n_streams; j++) {
            const vr_pub_stream *ps = &p->streams[j];
            if (used[j] || ps->video != st->video || ps->codec != st->codec) continue;
            used[j] = true;
            json_array_append_new(list, json_pack("{s:o,s:s,s:s}", "feed", vr_id_json(feed), "mid",
                                                  ps->mid, "sub_mid", st->mid));
            break;
        }
    }
    if (!json_array_size(list)) {
        json_decref(list);
        *err = vr_error(VR_ERROR_INVALID_ELEMENT, "Feed %s has no stream to switch to", feed_text);
        return NULL;
    }
    return list;
}

/* switch: other sources for existing m-lines, no renegotiation (same codec). */
json_t *vr_sub_switch(vr_subscriber *sub, json_t *body)
{
    vr_room *r = sub->room;
    json_t *err = NULL;
    if (!json_object_get(body, "streams") && json_object_get(body, "feed")) {
        json_t *list = legacy_switch_streams(sub, body, &err);
        if (!list) return err;
        json_t *b = json_pack("{s:o}", "streams", list);
        json_t *ev = vr_sub_switch(sub, b);
        json_decref(b);
        if (!json_object_get(ev, "error_code")) {
            json_object_set(ev, "id", json_object_get(body, "feed"));
            json_object_set_new(ev, "warning", json_string("deprecated_api"));
        }
        return ev;
    }
    if (vr_check_field(body, "streams", JSON_ARRAY, true, &err) < 0) return err;
    json_t *streams = json_object_get(body, "streams");
    if (!json_array_size(streams))
        return vr_error(VR_ERROR_INVALID_ELEMENT, "Invalid element (streams should be a non-empty array)");
    int slot[VR_MAX_STREAMS], pidx[VR_MAX_STREAMS];
    vr_participant *pubs[VR_MAX_STREAMS];
    size_t n = json_array_size(streams);
    if (n > VR_MAX_STREAMS) return vr_error(VR_ERROR_INVALID_ELEMENT, "Too many streams");
    for (size_t i = 0; i < n; i++) {
        uint64_t feed;
        const char *mid, *sub_mid;
        json_t *item = json_array_get(streams, i);
        if ((err = read_stream_ref(item, true, "streams", &feed, &mid, &sub_mid))) return err;
        /* The layers a switched stream should start with (applied below, as configure
         * would): checked before anything changes. */
        if (vr_check_field(item, "substream", JSON_INTEGER, false, &err) < 0 ||
            vr_check_field(item, "temporal", JSON_INTEGER, false, &err) < 0 ||
            (err = check_svc_fields(item)))
            return err;
        char ftext[24];
        const char *feed_text =
            sy_strid_json_text(json_object_get(json_array_get(streams, i), "feed"), ftext, sizeof(ftext));
        slot[i] = -1;
        for (int j = 0; j < sub->n_streams; j++)
            if (!sub->streams[j].removed && !sub->streams[j].data &&
                !strcmp(sub->streams[j].mid, sub_mid))
                slot[i] = j;
        if (slot[i] < 0) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such subscriber mid '%s'", sub_mid);
        vr_participant *p = vr_find_participant(r, feed);
        if (!p || !p->published) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such feed (%s)", feed_text);
        pidx[i] = -1;
        for (int j = 0; j < p->n_streams; j++)
            if (!strcmp(p->streams[j].mid, mid)) pidx[i] = j;
        if (pidx[i] < 0) return vr_error(VR_ERROR_NO_SUCH_FEED, "No such mid '%s' in feed %s", mid, feed_text);
        if (p->streams[pidx[i]].codec != sub->streams[slot[i]].codec)
            return vr_error(VR_ERROR_INVALID_ELEMENT,
                            "Invalid element (feed %s mid '%s' has another codec than '%s')",
                            feed_text, mid, sub_mid);
        pubs[i] = p;
    }
    int changes = 0, worker = vr_room_worker(r);
    for (size_t i = 0; i < n; i++) {
        vr_sub_stream *st = &sub->streams[slot[i]];
        vr_participant *p = pubs[i];
        const vr_pub_stream *ps = &p->streams[pidx[i]];
        if (st->feed_id == p->id && !strcmp(st->feed_mid, ps->mid)) continue;
        st->feed_id = p->id;
        snprintf(st->feed_mid, sizeof(st->feed_mid), "%s", ps->mid);
        free(st->feed_display);
        st->feed_display = p->display ? strdup(p->display) : NULL;
        if (st->simulcast != ps->simulcast) {
            st->simulcast = ps->simulcast;
            st->substream = st->temporal = 2;
        }
        vr_fwd_sub_switch(worker, sub->fwd, slot[i], p->fwd, pidx[i], ps->simulcast);
        changes++;
    }
    static const char *const layer_fields[] = {"substream", "temporal", "spatial_layer",
                                               "temporal_layer"};
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(streams, i), *layers = NULL;
        for (size_t k = 0; k < sizeof(layer_fields) / sizeof(layer_fields[0]); k++) {
            json_t *v = json_object_get(item, layer_fields[k]);
            if (!v) continue;
            if (!layers) layers = json_pack("{s:s}", "mid", sub->streams[slot[i]].mid);
            json_object_set(layers, layer_fields[k], v);
        }
        if (!layers) continue;
        json_t *ignored = configure_sub_item(sub, layers, NULL); /* validated above */
        json_decref(ignored);
        json_decref(layers);
    }
    json_t *ev = json_pack("{s:s,s:s,s:o,s:i}", "videoroom", "event", "switched", "ok", "room",
                           vr_id_json(r->id), "changes", changes);
    json_object_set_new(ev, "streams", vr_sub_streams_json(sub));
    return ev;
}

