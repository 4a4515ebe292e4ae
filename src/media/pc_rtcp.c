/*
 * RTCP of a peer connection (worker thread): what the core consumes (SRs, report
 * blocks for RTT, NACKs), what the plugin gets (PLI, FIR, REMB), and what we send
 * (SR/RR + SDES every second, transport-cc feedback, REMB, relayed feedback), plus the
 * slowlink check.
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

int pc_send_rtcp(sy_pc *pc, uint8_t *buf, size_t len)
{
    if (!pc->srtp || !pc->ice || len + SY_SRTP_MAX_TRAILER > sizeof(pc->out)) return -1;
    if (buf != pc->out) memcpy(pc->out, buf, len);
    size_t n = len;
    if (sy_srtp_protect_rtcp(pc->srtp, pc->out, &n) < 0) return -1;
    return sy_ice_send(pc->ice, pc->out, n) < 0 ? -1 : 0;
}

static pc_media *media_by_local_ssrc(sy_pc *pc, uint32_t ssrc)
{
    for (int i = 0; i < pc->n_media; i++)
        if (ssrc && (pc->media[i].local_ssrc == ssrc || pc->media[i].local_rtx_ssrc == ssrc))
            return &pc->media[i];
    return NULL;
}

static pc_media *media_by_remote_ssrc(sy_pc *pc, uint32_t ssrc, int *layer)
{
    for (int i = 0; i < pc->n_media; i++)
        for (int k = 0; k < PC_MAX_SSRCS; k++)
            if (ssrc && pc->media[i].remote_ssrc[k] == ssrc) {
                *layer = k;
                return &pc->media[i];
            }
    return NULL;
}

/* What the core does with the peer's RTCP before the plugin sees it: SRs (for our
 * receiver reports), report blocks about our streams (RTT), NACKs (answered here from
 * the send history). */
static void rtcp_consume(sy_pc *pc, const uint8_t *buf, size_t len)
{
    sy_rtcp_iter it;
    sy_rtcp_pkt p;
    sy_rtcp_iter_init(&it, buf, len);
    uint64_t now = pc_now_us();
    while (sy_rtcp_iter_next(&it, &p) > 0) {
        if (sy_rtcp_check(&p) < 0) continue;
        sy_rtcp_kind kind = sy_rtcp_kind_of(&p);
        sy_rtcp_report_block blocks[8];
        int nb = 0;
        if (kind == SY_RTCP_KIND_SR) {
            sy_rtcp_sr sr;
            nb = sy_rtcp_read_sr(&p, &sr, blocks, 8);
            int layer = 0;
            pc_media *m = media_by_remote_ssrc(pc, sr.ssrc, &layer);
            if (m) {
                m->rx[layer].lsr = sy_rtcp_ntp_mid32(sr.ntp);
                m->rx[layer].lsr_at_us = now;
            }
        } else if (kind == SY_RTCP_KIND_RR) {
            uint32_t ssrc;
            nb = sy_rtcp_read_rr(&p, &ssrc, NULL, blocks, 8);
        } else if (kind == SY_RTCP_KIND_NACK) {
            sy_rtcp_fb fb;
            uint16_t seqs[PC_MAX_NACKS];
            if (sy_rtcp_read_fb(&p, &fb) < 0) continue;
            pc_media *m = media_by_local_ssrc(pc, fb.media_ssrc);
            int n = m ? sy_rtcp_read_nack(&fb, seqs, PC_MAX_NACKS) : 0;
            if (n > 0) m->nacked_in_window += (uint32_t)n;
            sy_plugin_handle *h = pc->handle;
            if (n > 0 && h->plugin->incoming_nack)
                h->plugin->incoming_nack(h, m->mindex, seqs, n); /* its shared history */
            else
                for (int i = 0; i < n; i++) pc_resend(pc, m, seqs[i], fb.sender_ssrc, now);
        }
        for (int b = 0; b < nb; b++) {
            if (!media_by_local_ssrc(pc, blocks[b].ssrc)) continue;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t ntp = sy_rtcp_ntp_from_unix_us((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
            int64_t rtt = sy_rtcp_rtt_us(sy_rtcp_ntp_mid32(ntp), blocks[b].lsr, blocks[b].dlsr);
            if (rtt >= 0) pc->rtt_ms = (uint32_t)(rtt / 1000);
        }
    }
}

/* The m-line of an RTCP compound: the media SSRC of its first feedback message, else
 * the sender SSRC of its first report. */
static int rtcp_mindex(sy_pc *pc, const uint8_t *buf, size_t len, bool *video)
{
    size_t off = 0;
    while (off + 8 <= len) {
        uint8_t pt = buf[off + 1];
        size_t plen = ((size_t)buf[off + 2] << 8 | buf[off + 3]) * 4 + 4;
        if (plen > len - off) break;
        uint32_t ssrc = 0;
        if ((pt == 205 || pt == 206) && plen >= 12) {
            memcpy(&ssrc, buf + off + 8, 4);
            ssrc = ntohl(ssrc);
            for (int i = 0; i < pc->n_media; i++)
                if (pc->media[i].local_ssrc == ssrc || pc->media[i].local_rtx_ssrc == ssrc) {
                    *video = pc->media[i].video;
                    return pc->media[i].mindex;
                }
        } else if (pt == 200 || pt == 201) {
            memcpy(&ssrc, buf + off + 4, 4);
            ssrc = ntohl(ssrc);
            for (int i = 0; i < pc->n_media; i++)
                for (int k = 0; k < PC_MAX_SSRCS; k++)
                    if (pc->media[i].remote_ssrc[k] == ssrc) {
                        *video = pc->media[i].video;
                        return pc->media[i].mindex;
                    }
        }
        off += plen;
    }
    return -1;
}

void pc_on_rtcp(sy_pc *pc, uint8_t *buf, size_t len)
{
    size_t n = len;
    if (!pc->srtp) {
        pc->drops[SY_MC_DROP_EARLY]++;
        return;
    }
    int r = sy_srtp_unprotect_rtcp(pc->srtp, buf, &n);
    if (r < 0) {
        pc->drops[r == SY_SRTP_E_REPLAY ? SY_MC_DROP_REPLAY : SY_MC_DROP_SRTP]++;
        return;
    }
    pc->last_auth_rx_us = pc_now_us();
    if (sy_rtcp_validate(buf, n) < 0) {
        pc->drops[SY_MC_DROP_UNKNOWN]++;
        return;
    }
    rtcp_consume(pc, buf, n);
    /* The plugin gets keyframe requests and bitrate hints; reports, NACKs and transport
     * feedback are the core's. */
    bool video = false;
    int mindex = rtcp_mindex(pc, buf, n, &video);
    size_t kept = 0;
    uint32_t keep = SY_RTCP_KIND_BIT(SY_RTCP_KIND_PLI) | SY_RTCP_KIND_BIT(SY_RTCP_KIND_FIR) |
                    SY_RTCP_KIND_BIT(SY_RTCP_KIND_REMB);
    sy_rtcp_filter(buf, n, keep, &kept);
    sy_plugin_handle *h = pc->handle;
    if (kept > 0 && mindex >= 0 && h->plugin->incoming_rtcp)
        h->plugin->incoming_rtcp(h, mindex, video, buf, kept);
}

/* Sender and receiver reports with our CNAME, once a second. */
void pc_send_reports(sy_pc *pc, uint64_t now)
{
    sy_rtcp_report_block blocks[SY_RTCP_MAX_COUNT];
    size_t nb = 0;
    for (int i = 0; i < pc->n_media; i++) {
        pc_media *m = &pc->media[i];
        for (int k = 0; k < PC_MAX_SSRCS && nb < SY_RTCP_MAX_COUNT; k++) {
            pc_rx *rx = &m->rx[k];
            if (!m->remote_ssrc[k] || !rx->started) continue;
            uint32_t expected = (uint32_t)(rx->max_seq - rx->base_seq + 1);
            uint32_t exp_int = expected - rx->expected_prior;
            uint32_t rec_int = rx->received - rx->received_prior;
            rx->expected_prior = expected;
            rx->received_prior = rx->received;
            int32_t lost_int = (int32_t)(exp_int - rec_int);
            sy_rtcp_report_block *b = &blocks[nb++];
            memset(b, 0, sizeof(*b));
            b->ssrc = m->remote_ssrc[k];
            b->fraction_lost = (exp_int == 0 || lost_int <= 0) ? 0 : (uint8_t)(((uint32_t)lost_int << 8) / exp_int);
            b->cumulative_lost = (int32_t)(expected - rx->received);
            b->ext_highest_seq = (uint32_t)rx->max_seq;
            b->lsr = rx->lsr;
            b->dlsr = rx->lsr ? (uint32_t)(((now - rx->lsr_at_us) << 16) / 1000000) : 0;
        }
    }
    size_t len = 0;
    uint8_t *out = pc->rtcp;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ntp = sy_rtcp_ntp_from_unix_us((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
    uint32_t first_ssrc = 0;
    for (int i = 0; i < pc->n_media; i++) {
        pc_media *m = &pc->media[i];
        if (!m->local_ssrc) continue;
        if (!first_ssrc) first_ssrc = m->local_ssrc;
        if (!m->sent_packets) continue;
        sy_rtcp_sr sr = {
            .ssrc = m->local_ssrc,
            .ntp = ntp,
            .rtp_ts = m->last_ts + (uint32_t)((now - m->last_send_us) * m->clock_rate / 1000000),
            .packets = m->sent_packets,
            .octets = m->sent_octets,
        };
        /* The receiver blocks ride on the first SR. */
        int n = sy_rtcp_build_sr(out + len, sizeof(pc->rtcp) - len, &sr, nb ? blocks : NULL,
                                 len == 0 ? nb : 0);
        if (n <= 0) break;
        if (len == 0) nb = 0;
        len += (size_t)n;
    }
    if (len == 0 && nb > 0) {
        int n = sy_rtcp_build_rr(out, sizeof(pc->rtcp), first_ssrc ? first_ssrc : 1, blocks, nb);
        if (n > 0) len = (size_t)n;
    }
    if (len == 0) return;
    int n = sy_rtcp_build_sdes_cname(out + len, sizeof(pc->rtcp) - len, first_ssrc ? first_ssrc : 1,
                                     "switchyard", 10);
    if (n > 0) len += (size_t)n;
    pc_send_rtcp(pc, out, len);
}

void pc_send_twcc(sy_pc *pc)
{
    pc_media *m = NULL;
    for (int i = 0; i < pc->n_media && !m; i++)
        if (pc->media[i].remote_ssrc[0]) m = &pc->media[i];
    if (!m) return;
    for (int guard = 0; guard < 8; guard++) {
        int n = sy_twcc_recorder_build(pc->twcc, pc->rtcp, sizeof(pc->rtcp),
                                       m->local_ssrc ? m->local_ssrc : 1, m->remote_ssrc[0]);
        if (n <= 0) break;
        pc_send_rtcp(pc, pc->rtcp, (size_t)n);
    }
}

/* Once a second: "slowlink" when losses pass the threshold, at most every 5 s per
 * direction and m-line. Incoming losses are gaps we saw (uplink=false); outgoing ones
 * are what the peer NACKed (uplink=true: we are having trouble sending to it). */
void pc_check_slowlink(sy_pc *pc, uint64_t now)
{
    uint32_t threshold = (uint32_t)pc_config->slowlink_threshold;
    for (int i = 0; i < pc->n_media; i++) {
        pc_media *m = &pc->media[i];
        uint32_t counts[2] = {m->lost_in_window, m->nacked_in_window};
        m->lost_in_window = m->nacked_in_window = 0;
        for (int up = 0; up < 2 && threshold; up++) {
            if (counts[up] < threshold) continue;
            if (m->slowlink_at_us[up] && now - m->slowlink_at_us[up] < 5000000) continue;
            m->slowlink_at_us[up] = now;
            main_call *c = calloc(1, sizeof(*c));
            c->mid = strdup(m->mid);
            c->video = m->video;
            c->receiving = up == 1; /* carries "uplink" */
            c->lost = counts[up];
            c->mindex = m->mindex;
            pc_to_main(pc, 5, c);
        }
    }
}

int sy_pc_relay_rtcp(sy_plugin_handle *h, int mindex, const uint8_t *buf, size_t len)
{
    sy_pc *pc = pc_worker_pc(h);
    pc_media *m = pc ? pc_media_at(pc, mindex) : NULL;
    if (!m || len + SY_SRTP_MAX_TRAILER > sizeof(pc->out)) return -1;
    memcpy(pc->out, buf, len);
    /* Keep feedback only (reports describe the other leg), with our SSRCs in it. */
    size_t off = 0, w = 0;
    while (off + 8 <= len) {
        uint8_t pt = pc->out[off + 1];
        size_t plen = ((size_t)pc->out[off + 2] << 8 | pc->out[off + 3]) * 4 + 4;
        if (plen > len - off) break;
        if ((pt == 205 || pt == 206) && plen >= 12) {
            uint32_t s = htonl(m->local_ssrc), r = htonl(m->remote_ssrc[0]);
            memmove(pc->out + w, pc->out + off, plen);
            memcpy(pc->out + w + 4, &s, 4);
            memcpy(pc->out + w + 8, &r, 4);
            w += plen;
        }
        off += plen;
    }
    if (w == 0) return 0;
    return pc_send_rtcp(pc, pc->out, w);
}

void sy_pc_send_remb(sy_plugin_handle *h, uint32_t bitrate)
{
    sy_pc *pc = pc_worker_pc(h);
    if (!pc) return;
    pc_media *m = NULL;
    for (int i = 0; i < pc->n_media && !m; i++)
        if (pc->media[i].video && pc->media[i].remote_ssrc[0]) m = &pc->media[i];
    if (!m) return;
    uint8_t exp = 0;
    uint32_t mantissa = bitrate;
    while (mantissa > 0x3FFFF) {
        mantissa >>= 1;
        exp++;
    }
    uint8_t remb[24] = {0x8F, 206, 0, 5};
    uint32_t s = htonl(m->local_ssrc), r = htonl(m->remote_ssrc[0]);
    memcpy(remb + 4, &s, 4);
    /* media source 0, then 'REMB', 1 SSRC, exp/mantissa, the SSRC */
    memcpy(remb + 12, "REMB", 4);
    remb[16] = 1;
    remb[17] = (uint8_t)((exp << 2) | ((mantissa >> 16) & 0x03));
    remb[18] = (uint8_t)(mantissa >> 8);
    remb[19] = (uint8_t)mantissa;
    memcpy(remb + 20, &r, 4);
    pc_send_rtcp(pc, remb, sizeof(remb));
}
