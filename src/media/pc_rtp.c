/*
 * The RTP path of a peer connection (worker thread): receiving (SRTP unprotect, parse
 * once, m-line and layer, RTX unwrap, NACK bookkeeping, plugin) and sending (relay_rtp
 * with a fresh header per destination, the send history, RTX resends, PLIs).
 * No allocation, lock or log per packet.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

#include "core/log.h"
#include "media/pc_internal.h"
#include "protocol/keyframe.h"
#include "protocol/rtcp.h"
#include "protocol/rtcp_build.h"
#include "protocol/rtcp_fb.h"
#include "protocol/simulcast.h"

pc_media *pc_media_at(sy_pc *pc, int mindex)
{
    for (int i = 0; i < pc->n_media; i++)
        if (pc->media[i].mindex == mindex) return &pc->media[i];
    return NULL;
}

void pc_send_pli_now(sy_pc *pc, pc_media *m)
{
    uint64_t now = pc_now_us();
    if (!m->video || !m->remote_ssrc[0]) return;
    if (m->last_pli_us && now - m->last_pli_us < PC_PLI_INTERVAL_US) {
        m->pli_pending = true; /* coalesced, not lost: the tick sends it */
        return;
    }
    m->pli_pending = false;
    m->last_pli_us = now;
    /* Simulcast: every layer. */
    for (int k = 0; k < PC_MAX_SSRCS && m->remote_ssrc[k]; k++) {
        int n = sy_rtcp_build_pli(pc->rtcp, sizeof(pc->rtcp), m->local_ssrc, m->remote_ssrc[k]);
        if (n > 0 && pc_send_rtcp(pc, pc->rtcp, (size_t)n) == 0) pc->plis_sent++;
    }
}

void pc_send_nacks(sy_pc *pc, pc_media *m, int layer, uint64_t now)
{
    pc_rx *rx = &m->rx[layer];
    uint16_t seqs[PC_MAX_NACKS];
    size_t n = sy_nack_gen_get(rx->nack, now / 1000, pc->rtt_ms, seqs, PC_MAX_NACKS);
    size_t done = 0;
    while (done < n) {
        size_t used = 0;
        int len = sy_rtcp_build_nack(pc->rtcp, sizeof(pc->rtcp), m->local_ssrc, m->remote_ssrc[layer],
                                     seqs + done, n - done, &used);
        if (len <= 0 || used == 0) break;
        if (pc_send_rtcp(pc, pc->rtcp, (size_t)len) == 0) pc->nacks_sent++;
        done += used;
    }
}

/* ---- receiving ---- */

void pc_report_media(sy_pc *pc, pc_media *m, bool receiving)
{
    m->receiving = receiving;
    main_call *c = calloc(1, sizeof(*c));
    c->mid = strdup(m->mid);
    c->video = m->video;
    c->receiving = receiving;
    pc_to_main(pc, 2, c);
}

/* Finds the m-line and layer of an incoming packet; learns unsignaled SSRCs from the
 * mid/rid extensions (bounded: PC_MAX_SSRCS per m-line, RTX partners included). */
static pc_media *match_rtp(sy_pc *pc, const sy_rtp_header *hdr, const sy_rtp_ext_values *ev,
                           int *layer, bool *is_rtx)
{
    *is_rtx = false;
    for (int i = 0; i < pc->n_media; i++) {
        pc_media *m = &pc->media[i];
        if (m->is_data) continue; /* RTP never belongs to a data channel section */
        /* RTX has its own SSRC (RFC 4588 session multiplexing): a media SSRC with an RTX
         * payload type, or the reverse, is malformed and dropped. */
        bool rtx_pt = m->rtx_apt[hdr->payload_type & 0x7F] >= 0;
        for (int k = 0; k < PC_MAX_SSRCS; k++) {
            if (m->remote_ssrc[k] && m->remote_ssrc[k] == hdr->ssrc) {
                if (rtx_pt) return NULL;
                *layer = k;
                return m;
            }
            if (m->rx[k].rtx_ssrc && m->rx[k].rtx_ssrc == hdr->ssrc) {
                if (!rtx_pt) return NULL;
                *layer = k;
                *is_rtx = true;
                return m;
            }
        }
    }
    pc_media *found = NULL;
    if (ev->present & SY_RTP_EXT_MID) {
        for (int i = 0; i < pc->n_media && !found; i++)
            if (!pc->media[i].is_data && !strcmp(pc->media[i].mid, ev->mid)) found = &pc->media[i];
    }
    if (!found) return NULL;
    bool rtx = found->rtx_apt[hdr->payload_type & 0x7F] >= 0;
    int slot = -1;
    const char *rid = rtx ? ((ev->present & SY_RTP_EXT_RRID) ? ev->rrid : NULL)
                          : ((ev->present & SY_RTP_EXT_RID) ? ev->rid : NULL);
    if (rid && found->n_rids > 0) {
        for (int r = 0; r < found->n_rids; r++)
            if (!strcmp(found->rids[r], rid)) slot = r;
    } else if (rtx) {
        slot = 0; /* without rids, RTX repairs the only stream */
    } else {
        for (int k = 0; k < PC_MAX_SSRCS && slot < 0; k++)
            if (!found->remote_ssrc[k]) slot = k;
    }
    if (slot < 0 || slot >= PC_MAX_SSRCS) return NULL;
    if (rtx) {
        if (found->rx[slot].rtx_ssrc) return NULL;
        found->rx[slot].rtx_ssrc = hdr->ssrc;
    } else {
        if (found->remote_ssrc[slot]) return NULL;
        found->remote_ssrc[slot] = hdr->ssrc;
    }
    *layer = slot;
    *is_rtx = rtx;
    return found;
}

/* Turns an RTX packet (RFC 4588) back into the packet it repairs, in place. Returns the
 * new length, or 0 for padding-only probes and malformed packets. */
static size_t unwrap_rtx(pc_media *m, int layer, uint8_t *buf, const sy_rtp_header *hdr)
{
    if (hdr->payload_len < 3 || !m->remote_ssrc[layer]) return 0;
    uint8_t *p = buf + hdr->payload_offset;
    uint16_t osn = (uint16_t)(p[0] << 8 | p[1]);
    size_t payload = hdr->payload_len - 2;
    memmove(p, p + 2, payload);
    size_t len = hdr->payload_offset + payload;
    buf[0] &= (uint8_t)~0x20; /* the padding went with the move */
    sy_rtp_set_seq(buf, len, osn);
    sy_rtp_set_ssrc(buf, len, m->remote_ssrc[layer]);
    sy_rtp_set_payload_type(buf, len, (uint8_t)m->rtx_apt[hdr->payload_type]);
    return len;
}

/* Returns how many packets this one shows missing (a gap after the highest). */
static uint32_t rx_count(pc_rx *rx, uint16_t seq)
{
    int64_t ext = sy_seq_unroll(&rx->seq, seq);
    uint32_t gap = 0;
    if (!rx->started) {
        rx->started = true;
        rx->base_seq = rx->max_seq = ext;
    } else if (ext > rx->max_seq) {
        if (ext - rx->max_seq > 1 && ext - rx->max_seq < 1000) gap = (uint32_t)(ext - rx->max_seq - 1);
        rx->max_seq = ext;
    }
    rx->received++;
    return gap;
}

void pc_on_rtp(sy_pc *pc, uint8_t *buf, size_t len)
{
    size_t n = len;
    if (!pc->srtp) {
        pc->drops[SY_MC_DROP_EARLY]++;
        return;
    }
    int r = sy_srtp_unprotect_rtp(pc->srtp, buf, &n);
    if (r < 0) {
        pc->drops[r == SY_SRTP_E_REPLAY ? SY_MC_DROP_REPLAY : SY_MC_DROP_SRTP]++;
        return;
    }
    pc->last_auth_rx_us = pc_now_us();
    sy_rtp_header hdr;
    if (sy_rtp_parse(buf, n, &hdr) < 0) {
        pc->drops[SY_MC_DROP_UNKNOWN]++;
        return;
    }
    sy_rtp_ext_values ev;
    memset(&ev, 0, sizeof(ev));
    if (hdr.has_extension) sy_rtp_ext_parse_all(&hdr, &pc->ext, &ev);
    uint64_t now = pc_now_us();
    if (pc->twcc && (ev.present & SY_RTP_EXT_TWCC))
        sy_twcc_recorder_on_packet(pc->twcc, ev.twcc_seq, now);
    int layer = 0;
    bool is_rtx = false;
    pc_media *m = match_rtp(pc, &hdr, &ev, &layer, &is_rtx);
    if (!m) {
        /* An SSRC we will not forward: drop libsrtp's state for it too, so that a flood
         * of SSRCs cannot grow memory (security.md 6, row 8). */
        pc->drops[SY_MC_DROP_UNMATCHED]++;
        sy_srtp_remove_inbound_ssrc(pc->srtp, hdr.ssrc);
        return;
    }
    if (is_rtx) {
        n = unwrap_rtx(m, layer, buf, &hdr);
        if (n == 0 || sy_rtp_parse(buf, n, &hdr) < 0) return; /* probes: only for BWE */
    }
    m->packets_in++;
    m->bytes_in += n;
    m->last_rx_us = now;
    if (!m->receiving) pc_report_media(pc, m, true);
    pc_rx *rx = &m->rx[layer];
    sy_video_codec codec = (sy_video_codec)m->codec_of_pt[hdr.payload_type];
    bool keyframe = codec != SY_VIDEO_NONE &&
                    sy_rtp_payload_is_keyframe(codec, buf + hdr.payload_offset, hdr.payload_len);
    if (!is_rtx) m->lost_in_window += rx_count(rx, hdr.seq);
    /* The NACK generator (16 KB) of a video stream is made when its first packet comes:
     * subscribers' m-lines never receive any. */
    if (!rx->nack && m->video) rx->nack = sy_nack_gen_new(NULL);
    if (rx->nack) {
        unsigned f = sy_nack_gen_on_packet(rx->nack, hdr.seq, keyframe, now / 1000);
        if (f & SY_NACK_GEN_MISSING) pc_send_nacks(pc, m, layer, now);
        if (f & SY_NACK_GEN_KEYFRAME) pc_send_pli_now(pc, m);
    }
    /* 0 is the lowest quality: rids are listed high to low (rid_order "hml", what
     * janus.js and Chromium pages send), SIM groups low to high. An SSRC learned into
     * the spare slot of a three-layer SIM group is no layer a plugin knows: dropped. */
    int substream = m->n_rids > 1 ? (m->rid_lmh ? layer : m->n_rids - 1 - layer)
                                  : (m->remote_ssrc[1] ? layer : -1);
    if (substream >= SY_SIMULCAST_LAYERS) {
        pc->drops[SY_MC_DROP_UNMATCHED]++;
        return;
    }
    sy_plugin_handle *h = pc->handle;
    if (!h->plugin->incoming_rtp) return;
    sy_rtp_packet pkt = {
        .data = buf,
        .len = n,
        .mindex = m->mindex,
        .video = m->video,
        .ssrc = hdr.ssrc,
        .seq = hdr.seq,
        .timestamp = hdr.timestamp,
        .pt = hdr.payload_type,
        .marker = hdr.marker,
        .substream = substream,
        .audio_level = (ev.present & SY_RTP_EXT_AUDIO_LEVEL) ? ev.audio_level : -1,
        .voice_activity = ev.voice_activity,
        .keyframe = keyframe,
        .arrival_us = now,
    };
    h->plugin->incoming_rtp(h, &pkt);
}

/* Resends a packet a peer lost, as RTX on our repair stream (RFC 4588). */
void pc_resend(sy_pc *pc, pc_media *m, uint16_t seq, uint32_t requester, uint64_t now)
{
    const uint8_t *stored = NULL;
    size_t len = 0;
    if (!m->history || !m->local_rtx_ssrc) return;
    if (sy_nack_history_get(m->history, seq, requester, pc->rtt_ms, now / 1000, &stored, &len) < 0)
        return;
    sy_rtp_header hdr;
    if (sy_rtp_parse(stored, len, &hdr) < 0) return;
    uint8_t rtx_pt = m->local_rtx_pt[hdr.payload_type];
    if (!rtx_pt || len + 2 + SY_SRTP_MAX_TRAILER > sizeof(pc->out)) return;
    memcpy(pc->out, stored, hdr.payload_offset);
    pc->out[0] &= (uint8_t)~0x20; /* no padding */
    pc->out[hdr.payload_offset] = (uint8_t)(hdr.seq >> 8);
    pc->out[hdr.payload_offset + 1] = (uint8_t)hdr.seq;
    memcpy(pc->out + hdr.payload_offset + 2, stored + hdr.payload_offset, hdr.payload_len);
    size_t n = hdr.payload_offset + 2 + hdr.payload_len;
    sy_rtp_set_ssrc(pc->out, n, m->local_rtx_ssrc);
    sy_rtp_set_payload_type(pc->out, n, rtx_pt);
    sy_rtp_set_seq(pc->out, n, m->rtx_seq++);
    if (sy_srtp_protect_rtp(pc->srtp, pc->out, &n) == 0 && sy_ice_send(pc->ice, pc->out, n) >= 0)
        pc->retransmitted++;
}

/* The header extensions every packet we send carries: our mid, and the next
 * transport-wide sequence number (twcc: its 2 bytes). Returns how many were filled. */
static inline size_t out_exts(sy_pc *pc, const pc_media *m, sy_rtp_ext_elem *ext, uint8_t twcc[2])
{
    size_t n = 0;
    if (pc->ext.mid && m->mid[0])
        ext[n++] = (sy_rtp_ext_elem){pc->ext.mid, (uint8_t)strlen(m->mid), (const uint8_t *)m->mid};
    if (pc->ext.twcc) {
        twcc[0] = (uint8_t)(pc->twcc_seq >> 8);
        twcc[1] = (uint8_t)pc->twcc_seq;
        pc->twcc_seq++;
        ext[n++] = (sy_rtp_ext_elem){pc->ext.twcc, 2, twcc};
    }
    return n;
}

int sy_pc_relay_rtp(sy_plugin_handle *h, const sy_rtp_packet *pkt)
{
    sy_pc *pc = pc_worker_pc(h);
    if (!pc || !pkt || pkt->len < 12 || pkt->len + 64 + SY_SRTP_MAX_TRAILER > sizeof(pc->out))
        return -1;
    pc_media *m = pc_media_at(pc, pkt->mindex);
    sy_rtp_header in;
    if (!m || !m->local_ssrc || sy_rtp_parse(pkt->data, pkt->len, &in) < 0) return -1;
    /* A fresh header: the plugin's seq, timestamp, pt and marker, our SSRC, no CSRCs,
     * and the extensions this peer negotiated, with its ids: our mid for the m-line,
     * our transport-wide sequence, the audio level the packet came with. */
    sy_rtp_fields f = {
        .marker = in.marker,
        .payload_type = in.payload_type,
        .seq = in.seq,
        .timestamp = in.timestamp,
        .ssrc = m->local_ssrc,
    };
    sy_rtp_ext_elem ext[3];
    uint8_t twcc[2], level[1];
    size_t n_ext = out_exts(pc, m, ext, twcc);
    if (pc->ext.audio_level && !m->video && pkt->audio_level >= 0) {
        level[0] = (uint8_t)((pkt->voice_activity ? 0x80 : 0) | (pkt->audio_level & 0x7F));
        ext[n_ext++] = (sy_rtp_ext_elem){pc->ext.audio_level, 1, level};
    }
    int off = sy_rtp_write_header_ext(pc->out, sizeof(pc->out), &f, ext, n_ext);
    if (off < 0 || (size_t)off + in.payload_len + SY_SRTP_MAX_TRAILER > sizeof(pc->out)) return -1;
    memcpy(pc->out + off, pkt->data + in.payload_offset, in.payload_len);
    size_t len = (size_t)off + in.payload_len;
    uint64_t now = pc_now_us();
    if (m->history) sy_nack_history_put(m->history, in.seq, pc->out, len, now / 1000);
    size_t n = len;
    if (sy_srtp_protect_rtp(pc->srtp, pc->out, &n) < 0) return -1;
    if (sy_ice_send(pc->ice, pc->out, n) < 0) return -1;
    m->packets_out++;
    m->bytes_out += len;
    m->sent_packets++;
    m->sent_octets += (uint32_t)in.payload_len;
    m->last_ts = in.timestamp;
    m->last_send_us = now;
    return 0;
}

int sy_pc_resend_rtp(sy_plugin_handle *h, const sy_rtp_packet *pkt)
{
    sy_pc *pc = pc_worker_pc(h);
    if (!pc || !pkt || pkt->len < 12 || pkt->len + 64 + 2 + SY_SRTP_MAX_TRAILER > sizeof(pc->out))
        return -1;
    pc_media *m = pc_media_at(pc, pkt->mindex);
    sy_rtp_header in;
    if (!m || !m->local_ssrc || sy_rtp_parse(pkt->data, pkt->len, &in) < 0) return -1;
    uint8_t rtx_pt = m->local_rtx_ssrc ? m->local_rtx_pt[in.payload_type] : 0;
    /* The header relay_rtp would write, on the repair stream with RTX (RFC 4588: its own
     * SSRC, pt and sequence, the original sequence number before the payload). */
    sy_rtp_fields f = {
        .marker = in.marker,
        .payload_type = rtx_pt ? rtx_pt : in.payload_type,
        .seq = rtx_pt ? m->rtx_seq : in.seq,
        .timestamp = in.timestamp,
        .ssrc = rtx_pt ? m->local_rtx_ssrc : m->local_ssrc,
    };
    sy_rtp_ext_elem ext[2];
    uint8_t twcc[2];
    size_t n_ext = out_exts(pc, m, ext, twcc);
    int off = sy_rtp_write_header_ext(pc->out, sizeof(pc->out), &f, ext, n_ext);
    size_t osn = rtx_pt ? 2 : 0;
    if (off < 0 || (size_t)off + osn + in.payload_len + SY_SRTP_MAX_TRAILER > sizeof(pc->out)) return -1;
    if (rtx_pt) {
        pc->out[off] = (uint8_t)(in.seq >> 8);
        pc->out[off + 1] = (uint8_t)in.seq;
        m->rtx_seq++;
    }
    memcpy(pc->out + off + osn, pkt->data + in.payload_offset, in.payload_len);
    size_t n = (size_t)off + osn + in.payload_len;
    if (sy_srtp_protect_rtp(pc->srtp, pc->out, &n) < 0 || sy_ice_send(pc->ice, pc->out, n) < 0)
        return -1;
    pc->retransmitted++;
    return 0;
}

void sy_pc_send_pli(sy_plugin_handle *h, int mindex)
{
    sy_pc *pc = pc_worker_pc(h);
    pc_media *m = pc ? pc_media_at(pc, mindex) : NULL;
    if (m) pc_send_pli_now(pc, m);
}
