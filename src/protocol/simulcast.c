#include "protocol/simulcast.h"

void sy_simulcast_init(sy_simulcast *s, int substream_target, int temporal_target, uint64_t fallback_us)
{
    *s = (sy_simulcast){0};
    s->substream = -1;
    s->fallback_us = fallback_us ? fallback_us : 250000;
    sy_simulcast_set_target(s, substream_target, temporal_target);
    s->temporal = s->temporal_target;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

void sy_simulcast_set_target(sy_simulcast *s, int substream_target, int temporal_target)
{
    s->substream_target = clamp(substream_target, 0, SY_SIMULCAST_LAYERS - 1);
    s->temporal_target = clamp(temporal_target, 0, 2);
    s->temporal = s->temporal_target;
}

static bool alive(const sy_simulcast *s, int layer, uint64_t now)
{
    return s->last_seen_us[layer] && now - s->last_seen_us[layer] < s->fallback_us;
}

unsigned sy_simulcast_process(sy_simulcast *s, int substream, bool keyframe, int temporal_id,
                              uint64_t now)
{
    if (substream < 0 || substream >= SY_SIMULCAST_LAYERS) return 0;
    s->last_seen_us[substream] = now;
    unsigned out = 0;
    /* Where we want to be: the target; if it is silent, the best lower layer still
     * sending; if none is, the nearest higher one. */
    int want = s->substream_target;
    if (!alive(s, want, now)) {
        int w = want - 1;
        while (w >= 0 && !alive(s, w, now)) w--;
        if (w < 0) {
            w = want + 1;
            while (w < SY_SIMULCAST_LAYERS && !alive(s, w, now)) w++;
        }
        if (w >= 0 && w < SY_SIMULCAST_LAYERS) want = w;
    }
    if (substream == want && substream != s->substream) {
        if (keyframe) {
            s->substream = substream;
            out |= SY_SIMULCAST_SWITCHED;
        } else {
            out |= SY_SIMULCAST_NEED_KEYFRAME;
        }
    }
    if (substream != s->substream) return out;
    if (temporal_id > s->temporal) return out;
    return out | SY_SIMULCAST_FORWARD;
}

int sy_vp8_temporal_id(const uint8_t *p, size_t len)
{
    if (len < 2 || !(p[0] & 0x80)) return -1;
    uint8_t x = p[1];
    size_t off = 2;
    if (x & 0x80) {
        if (off >= len) return -1;
        off += (p[off] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) off++;
    if (!(x & 0x20) || off >= len) return -1; /* T: TID present */
    return p[off] >> 6;
}

void sy_rtp_rewriter_init(sy_rtp_rewriter *r, uint32_t clock_rate)
{
    *r = (sy_rtp_rewriter){0};
    r->clock_rate = clock_rate ? clock_rate : 90000;
}

/* Drops recorded after input seq `seq` (they do not shift its number), or -1 when the
 * ring has forgotten drops that may lie after it, or seq itself was dropped (it has no
 * number of its own). */
static int drops_after(const sy_rtp_rewriter *r, uint16_t seq)
{
    int n = 0;
    for (int i = 0; i < r->n_drops; i++) {
        uint16_t d = r->drops[(r->drop_head + SY_RTP_REWRITER_DROPS - 1 - i) % SY_RTP_REWRITER_DROPS];
        if (d == seq) return -1;
        if ((int16_t)(d - seq) < 0) return n; /* the ring is in input order */
        n++;
    }
    return r->n_drops == SY_RTP_REWRITER_DROPS ? -1 : n;
}

int sy_rtp_rewriter_map(sy_rtp_rewriter *r, uint32_t ssrc_in, uint16_t seq_in, uint32_t ts_in,
                        uint64_t now_us, uint16_t *seq_out, uint32_t *ts_out)
{
    if (!r->started || ssrc_in != r->ssrc_in) {
        uint16_t next_seq = r->started ? (uint16_t)(r->last_seq_out + 1) : seq_in;
        uint32_t next_ts = ts_in;
        if (r->started) {
            uint64_t gap_us = now_us > r->last_out_us ? now_us - r->last_out_us : 0;
            uint32_t ticks = (uint32_t)(gap_us * r->clock_rate / 1000000);
            next_ts = r->last_ts_out + (ticks ? ticks : 1);
        }
        r->started = true;
        r->ssrc_in = ssrc_in;
        r->seq_base_in = seq_in;
        r->seq_base_out = next_seq;
        r->ts_base_in = ts_in;
        r->ts_base_out = next_ts;
        r->max_seq_in = seq_in;
        r->drop_off = 0;
        r->n_drops = r->drop_head = 0;
    }
    uint16_t off = r->drop_off;
    if ((int16_t)(seq_in - r->max_seq_in) > 0) {
        r->max_seq_in = seq_in;
    } else if (r->n_drops) {
        int after = drops_after(r, seq_in);
        if (after < 0) return -1;
        off = (uint16_t)(off - after);
    }
    uint16_t seq = (uint16_t)(r->seq_base_out + (uint16_t)(seq_in - r->seq_base_in) - off);
    uint32_t ts = r->ts_base_out + (ts_in - r->ts_base_in);
    /* Only the newest packet moves the continuation point (retransmissions may be older). */
    if ((int16_t)(seq - r->last_seq_out) > 0 || r->last_out_us == 0) {
        r->last_seq_out = seq;
        r->last_ts_out = ts;
        r->last_out_us = now_us;
    }
    *seq_out = seq;
    *ts_out = ts;
    return 0;
}

void sy_rtp_rewriter_drop(sy_rtp_rewriter *r, uint32_t ssrc_in, uint16_t seq_in)
{
    if (!r->started || ssrc_in != r->ssrc_in || (int16_t)(seq_in - r->max_seq_in) <= 0) return;
    r->max_seq_in = seq_in;
    r->drop_off++;
    r->drops[r->drop_head] = seq_in;
    r->drop_head = (r->drop_head + 1) % SY_RTP_REWRITER_DROPS;
    if (r->n_drops < SY_RTP_REWRITER_DROPS) r->n_drops++;
}

int sy_vp8_desc_parse(const uint8_t *p, size_t len, sy_vp8_desc *d)
{
    *d = (sy_vp8_desc){.picture_id = -1, .tl0picidx = -1};
    if (len < 1) return -1;
    if (!(p[0] & 0x80)) return 0;
    if (len < 2) return -1;
    uint8_t x = p[1];
    size_t off = 2;
    if (x & 0x80) { /* I */
        if (off >= len) return -1;
        d->pid_off = off;
        if (p[off] & 0x80) {
            if (off + 1 >= len) return -1;
            d->pid_15bit = true;
            d->picture_id = (p[off] & 0x7F) << 8 | p[off + 1];
            off += 2;
        } else {
            d->picture_id = p[off] & 0x7F;
            off += 1;
        }
    }
    if (x & 0x40) { /* L */
        if (off >= len) return -1;
        d->tl0_off = off;
        d->tl0picidx = p[off];
        off++;
    }
    if ((x & 0x30) && off >= len) return -1; /* T or K: one more byte */
    return 0;
}

void sy_vp8_rewriter_init(sy_vp8_rewriter *r) { *r = (sy_vp8_rewriter){0}; }

void sy_vp8_rewriter_rebase(sy_vp8_rewriter *r) { r->rebase = true; }

void sy_vp8_rewriter_apply(sy_vp8_rewriter *r, uint32_t ssrc_in, const sy_vp8_desc *d,
                           uint8_t *payload, size_t len)
{
    if (!r->started || r->rebase || ssrc_in != r->ssrc_in) {
        r->started = true;
        r->rebase = false;
        r->ssrc_in = ssrc_in;
        r->have_pid = r->have_tl0 = false;
    }
    if (d->picture_id >= 0 && d->pid_off + (d->pid_15bit ? 2 : 1) <= len) {
        uint16_t in = (uint16_t)d->picture_id;
        if (!r->have_pid) {
            /* The first source passes through; later ones continue the last id sent. */
            r->pid_base_in = in;
            r->pid_base_out = r->sent_pid ? (uint16_t)((r->last_pid_out + 1) & 0x7FFF) : in;
            r->have_pid = true;
        }
        /* 7-bit ids advance mod 128: the distance is taken in the packet's width. */
        uint16_t mask = d->pid_15bit ? 0x7FFF : 0x7F;
        uint16_t out = (uint16_t)((r->pid_base_out + ((in - r->pid_base_in) & mask)) & 0x7FFF);
        if (!r->sent_pid || ((out - r->last_pid_out) & 0x7FFF) < 0x4000) r->last_pid_out = out;
        r->sent_pid = true;
        if (d->pid_15bit) {
            payload[d->pid_off] = (uint8_t)(0x80 | (out >> 8));
            payload[d->pid_off + 1] = (uint8_t)out;
        } else {
            payload[d->pid_off] = (uint8_t)(out & 0x7F);
        }
    }
    if (d->tl0picidx >= 0 && d->tl0_off < len) {
        uint8_t in = (uint8_t)d->tl0picidx;
        if (!r->have_tl0) {
            r->tl0_base_in = in;
            r->tl0_base_out = r->sent_tl0 ? (uint8_t)(r->last_tl0_out + 1) : in;
            r->have_tl0 = true;
        }
        uint8_t out = (uint8_t)(r->tl0_base_out + (uint8_t)(in - r->tl0_base_in));
        if (!r->sent_tl0 || (uint8_t)(out - r->last_tl0_out) < 0x80) r->last_tl0_out = out;
        r->sent_tl0 = true;
        payload[d->tl0_off] = out;
    }
}
