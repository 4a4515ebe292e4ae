/*
 * Fuzz target: the peer connection's receive path for SRTP and SRTCP (pc_on_rtp,
 * pc_on_rtcp in src/media): decryption, RTP header and extension parsing with the
 * negotiated ids, stream matching (signaled SSRCs, SSRCs learned from mid/rid/repaired
 * rid, bounded), RTX unwrapping, loss counting, NACK generation, key frame detection,
 * transport-wide cc recording, RTCP validation, SR/RR/NACK consumption and the filter
 * that hands PLI/FIR/REMB to the plugin (security.md table 6 rows 8-10).
 *
 * The harness builds the PC state a remote description would give (the same steps as
 * worker_set_remote in pc.c) for one of two Chromium-like offers: rid simulcast with
 * learned SSRCs, or SIM/FID groups with signaled SSRCs. It has no ICE agent: what the
 * PC sends (NACKs, PLIs) is built and then refused by pc_send_rtcp, and retransmission
 * is off (no local RTX SSRC). A stub plugin checks every packet the core hands it.
 *
 * Input: byte 0 picks the offer (bit 0), the SRTP profile (bit 1: AES-CM-SHA1-80, else
 * AES-GCM) and the rid order (bit 2); then records: a kind byte (bit 0: RTCP), a
 * 2-byte length and the plaintext packet, which is SRTP-protected with the peer's keys
 * and fed to the PC like a datagram from ICE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/pc_internal.h"
#include "media/srtp.h"
#include "protocol/keyframe.h"
#include "protocol/rtcp.h"
#include "protocol/sdp.h"

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_media: property failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const offers[2] = {
    /* rid simulcast, no SSRCs: the PC learns them from mid/rid/repaired-rid. */
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=setup:actpass\r\n"
    "a=fingerprint:sha-256 68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:63 red/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:12 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=sendonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 H264/90000\r\na=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=98\r\n"
    "a=rid:h send\r\na=rid:m send\r\na=rid:l send\r\na=simulcast:send h;m;l\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"
    "a=sctp-port:5000\r\n",
    /* SIM and FID groups: the SSRCs are signaled. */
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=setup:actpass\r\n"
    "a=fingerprint:sha-256 68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=ssrc:5000 cname:x\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100 101 102\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:14 https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension-description\r\n"
    "a=sendonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:100 VP9/90000\r\na=fmtp:100 profile-id=0\r\na=rtcp-fb:100 nack\r\n"
    "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\na=rtpmap:102 AV1/90000\r\n"
    "a=ssrc-group:FID 1111 2111\r\na=ssrc-group:FID 1112 2112\r\na=ssrc-group:FID 1113 2113\r\n"
    "a=ssrc-group:SIM 1111 1112 1113\r\na=ssrc:1111 cname:x\r\na=ssrc:2111 cname:x\r\n"
    "a=ssrc:1112 cname:x\r\na=ssrc:2112 cname:x\r\na=ssrc:1113 cname:x\r\na=ssrc:2113 cname:x\r\n",
};

static sy_sdp_info infos[2];
static sy_pc *cur;
static unsigned delivered_rtp, delivered_rtcp;

/* ---- the stub plugin: checks what the core hands over ---- */

static void stub_rtp(sy_plugin_handle *h, sy_rtp_packet *pkt)
{
    sy_pc *pc = cur;
    sy_rtp_header hdr;
    REQUIRE(sy_rtp_parse(pkt->data, pkt->len, &hdr) == 0);
    REQUIRE(hdr.ssrc == pkt->ssrc && hdr.seq == pkt->seq && hdr.timestamp == pkt->timestamp &&
            hdr.payload_type == pkt->pt && hdr.marker == pkt->marker);
    pc_media *m = pc_media_at(pc, pkt->mindex);
    REQUIRE(m != NULL && !m->is_data && m->video == pkt->video);
    /* A repaired packet is the original stream's: its SSRC, a media payload type. */
    bool known = false;
    for (int k = 0; k < PC_MAX_SSRCS; k++)
        known |= m->remote_ssrc[k] == pkt->ssrc;
    REQUIRE(known);
    REQUIRE(m->rtx_apt[pkt->pt] < 0);
    REQUIRE(pkt->substream >= -1 && pkt->substream < 3);
    REQUIRE(pkt->audio_level >= -1 && pkt->audio_level <= 127);
    delivered_rtp++;
}

static void stub_rtcp(sy_plugin_handle *h, int mindex, bool video, const uint8_t *buf, size_t len)
{
    REQUIRE(pc_media_at(cur, mindex) != NULL);
    REQUIRE(sy_rtcp_validate(buf, len) > 0);
    delivered_rtcp++;
}

static const sy_plugin stub_plugin = {
    .package = "janus.plugin.fuzzmedia", .incoming_rtp = stub_rtp, .incoming_rtcp = stub_rtcp};
static sy_plugin_handle stub_handle = {.id = 1, .session_id = 1, .plugin = &stub_plugin};

/* ---- the PC state, as worker_set_remote builds it ---- */

static void apply_remote(sy_pc *pc, const sy_sdp_info *info, bool rid_lmh)
{
    for (size_t i = 0; i < info->n_media && pc->n_media < PC_MAX_MEDIA; i++) {
        const sy_sdp_media_info *mi = &info->media[i];
        if (mi->rejected) continue;
        pc_media *m = &pc->media[pc->n_media++];
        memset(m, 0, sizeof(*m));
        m->mindex = (int)i;
        for (int k = 0; k < 128; k++) m->rtx_apt[k] = -1;
        snprintf(m->mid, sizeof(m->mid), "%s", mi->mid);
        m->video = mi->type == SY_SDP_VIDEO;
        m->is_data = mi->type == SY_SDP_APPLICATION;
        m->receiving = true; /* no "media" event to the main loop */
        m->local_ssrc = 7000 + (uint32_t)i;
        sy_rtp_ext_ids *e = &pc->ext;
        if (!e->mid) e->mid = mi->ext[SY_SDP_EXT_MID];
        if (!e->rid) e->rid = mi->ext[SY_SDP_EXT_RID];
        if (!e->rrid) e->rrid = mi->ext[SY_SDP_EXT_REPAIRED_RID];
        if (!e->audio_level) e->audio_level = mi->ext[SY_SDP_EXT_AUDIO_LEVEL];
        if (!e->abs_send_time) e->abs_send_time = mi->ext[SY_SDP_EXT_ABS_SEND_TIME];
        if (!e->twcc) e->twcc = mi->ext[SY_SDP_EXT_TRANSPORT_CC];
        if (!e->video_orientation) e->video_orientation = mi->ext[SY_SDP_EXT_VIDEO_ORIENTATION];
        if (!e->playout_delay) e->playout_delay = mi->ext[SY_SDP_EXT_PLAYOUT_DELAY];
        if (!e->dependency_descriptor)
            e->dependency_descriptor = mi->ext[SY_SDP_EXT_DEPENDENCY_DESCRIPTOR];
        for (size_t p = 0; p < mi->n_pts; p++) {
            const sy_sdp_pt_info *pi = &mi->pts[p];
            if (pi->pt >= 128) continue;
            if (pi->apt >= 0) m->rtx_apt[pi->pt] = pi->apt;
            m->codec_of_pt[pi->pt] = pi->codec == SY_CODEC_VP8    ? SY_VIDEO_VP8
                                     : pi->codec == SY_CODEC_VP9  ? SY_VIDEO_VP9
                                     : pi->codec == SY_CODEC_H264 ? SY_VIDEO_H264
                                     : pi->codec == SY_CODEC_AV1  ? SY_VIDEO_AV1
                                                                  : SY_VIDEO_NONE;
        }
        if (m->video)
            for (int k = 0; k < PC_MAX_SSRCS; k++) m->rx[k].nack = sy_nack_gen_new(NULL);
        if (mi->n_sim > 0) {
            for (size_t k = 0; k < mi->n_sim && k < PC_MAX_SSRCS; k++) {
                m->remote_ssrc[k] = mi->sim[k].ssrc;
                m->rx[k].rtx_ssrc = mi->sim[k].rtx_ssrc;
            }
        } else if (mi->ssrc) {
            m->remote_ssrc[0] = mi->ssrc;
            m->rx[0].rtx_ssrc = mi->rtx_ssrc;
        }
        m->rid_lmh = rid_lmh;
        for (size_t r = 0; r < mi->n_rids && m->n_rids < 3; r++)
            if (mi->rids[r].send) snprintf(m->rids[m->n_rids++], SY_SDP_RID_MAX + 1, "%s", mi->rids[r].id);
    }
    if (pc->ext.twcc) pc->twcc = sy_twcc_recorder_new(0);
}

static void keys_for(sy_srtp_keys *server, sy_srtp_keys *peer, bool cm)
{
    memset(server, 0, sizeof(*server));
    server->profile = cm ? SY_SRTP_AES128_CM_SHA1_80 : SY_SRTP_AEAD_AES_128_GCM;
    server->key_len = 16;
    server->salt_len = cm ? 14 : 12;
    for (size_t i = 0; i < sizeof(server->local_key); i++) {
        server->local_key[i] = (uint8_t)(i * 7 + 1);
        server->remote_key[i] = (uint8_t)(i * 13 + 5);
    }
    *peer = *server;
    memcpy(peer->local_key, server->remote_key, sizeof(peer->local_key));
    memcpy(peer->remote_key, server->local_key, sizeof(peer->remote_key));
}

static void free_pc(sy_pc *pc)
{
    for (int i = 0; i < pc->n_media; i++)
        for (int k = 0; k < PC_MAX_SSRCS; k++) sy_nack_gen_free(pc->media[i].rx[k].nack);
    sy_twcc_recorder_free(pc->twcc);
    sy_srtp_free(pc->srtp);
    free(pc);
}

static void cleanup(void)
{
    for (int i = 0; i < 2; i++) sy_sdp_info_free(&infos[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        sy_log_set_level(SY_LOG_FATAL);
        if (sy_srtp_global_init() < 0) abort();
        for (int i = 0; i < 2; i++) {
            char err[256];
            sy_sdp *sdp = NULL;
            if (sy_sdp_parse(offers[i], strlen(offers[i]), &sdp, err, sizeof(err)) != 0 ||
                sy_sdp_extract(sdp, &infos[i], err, sizeof(err)) != 0) {
                fprintf(stderr, "fuzz_media: offer %d: %s\n", i, err);
                abort();
            }
            sy_sdp_free(sdp);
        }
        atexit(cleanup);
        ready = true;
    }
    if (size < 1) return 0;
    sy_pc *pc = calloc(1, sizeof(*pc));
    pc->handle = &stub_handle;
    apply_remote(pc, &infos[data[0] & 1], data[0] & 4);
    sy_srtp_keys server_keys, peer_keys;
    keys_for(&server_keys, &peer_keys, data[0] & 2);
    pc->srtp = sy_srtp_new(&server_keys);
    sy_srtp *peer = sy_srtp_new(&peer_keys);
    REQUIRE(pc->srtp && peer);
    cur = pc;

    static uint8_t buf[1500 + SY_SRTP_MAX_TRAILER];
    size_t off = 1;
    while (off + 3 <= size) {
        bool rtcp = data[off] & 1;
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (len > size - off) len = size - off;
        if (len > 1500) len = 1500;
        memcpy(buf, data + off, len);
        off += len;
        size_t n = len;
        /* The peer encrypts what the input says (if it can: SRTP needs a header). */
        int rc = rtcp ? sy_srtp_protect_rtcp(peer, buf, &n) : sy_srtp_protect_rtp(peer, buf, &n);
        if (rc < 0) continue;
        if (rtcp)
            pc_on_rtcp(pc, buf, n);
        else
            pc_on_rtp(pc, buf, n);
        /* Learning is bounded: never more SSRCs than slots. */
        for (int i = 0; i < pc->n_media; i++)
            for (int k = 0; k < PC_MAX_SSRCS; k++)
                if (pc->media[i].is_data) REQUIRE(pc->media[i].remote_ssrc[k] == 0);
    }
    sy_srtp_free(peer);
    free_pc(pc);
    cur = NULL;
    return 0;
}
