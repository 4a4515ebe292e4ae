/*
 * Fuzz target: what a forwarding path derives from a publisher's video packets
 * (security.md table 6 row 9): the codec payload descriptors (key frame detection for
 * VP8/VP9/H.264/AV1, the VP8 temporal layer id), the simulcast layer switcher fed with
 * those facts, and the sequence/timestamp rewriter across layer switches.
 *
 * Input: a header byte (codec, initial targets), then records until the input ends:
 *   byte 0: bits 0-1 layer (3 = a target change record), bit 2 new ssrc within layer,
 *           bits 3-7 time step (x 10 ms)
 *   target change: byte 1 = substream target (low 2 bits), temporal target (bits 2-3)
 *   packet:        bytes 1-2 seq delta, byte 3 ts delta (x 300), byte 4 payload length,
 *                  then the payload (short inputs give what is left)
 * Properties (a failure traps): the switcher forwards only the current layer, switches
 * only on a key frame, keeps its state in range; the rewriter keeps deltas within one
 * source and continues the outgoing sequence by exactly one across a source change.
 */
#include <stdint.h>
#include <string.h>

#include "protocol/keyframe.h"
#include "protocol/simulcast.h"

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    sy_video_codec codec = (sy_video_codec)(data[0] % 5);
    sy_simulcast sim;
    sy_simulcast_init(&sim, (data[0] >> 3) & 3, (data[0] >> 5) & 3, (data[0] & 0x80) ? 100000 : 0);
    REQUIRE(sim.substream == -1 && sim.substream_target >= 0 && sim.substream_target <= 2);
    sy_rtp_rewriter rw;
    sy_rtp_rewriter_init(&rw, 90000);

    uint32_t ssrc[3] = {0x1000, 0x2000, 0x3000};
    uint16_t seq[3] = {100, 20000, 40000};
    uint32_t ts[3] = {1000, 500000, 9000000};
    uint64_t now = 1000000;
    bool have_out = false;
    uint32_t out_ssrc = 0;
    uint16_t last_in_seq = 0, last_out_seq = 0;
    uint32_t last_in_ts = 0, last_out_ts = 0;

    size_t off = 1;
    while (off < size) {
        uint8_t b = data[off++];
        int layer = b & 3;
        now += (uint64_t)(b >> 3) * 10000;
        if (layer == 3) {
            if (off >= size) break;
            uint8_t t = data[off++];
            sy_simulcast_set_target(&sim, t & 3, (t >> 2) & 3);
            REQUIRE(sim.substream_target >= 0 && sim.substream_target <= 2);
            REQUIRE(sim.temporal_target >= 0 && sim.temporal_target <= 2);
            continue;
        }
        if (b & 4) ssrc[layer] += 7;
        if (size - off < 4) break;
        seq[layer] = (uint16_t)(seq[layer] + (data[off] << 8 | data[off + 1]));
        ts[layer] += (uint32_t)data[off + 2] * 300u;
        size_t len = data[off + 3];
        off += 4;
        if (len > size - off) len = size - off;
        const uint8_t *payload = data + off;
        off += len;

        bool key = sy_rtp_payload_is_keyframe(codec, payload, len);
        int tid = sy_vp8_temporal_id(payload, len);
        REQUIRE(tid >= -1 && tid <= 3);
        if (codec != SY_VIDEO_VP8) tid = -1;
        int before = sim.substream;
        unsigned f = sy_simulcast_process(&sim, layer, key, tid, now);
        REQUIRE(sim.substream >= -1 && sim.substream <= 2);
        if (f & SY_SIMULCAST_SWITCHED) REQUIRE(key && sim.substream == layer && before != layer);
        else REQUIRE(sim.substream == before);
        if (f & SY_SIMULCAST_FORWARD) REQUIRE(sim.substream == layer && tid <= sim.temporal);
        if (!(f & SY_SIMULCAST_FORWARD)) continue;

        uint16_t so;
        uint32_t to;
        uint16_t prev_cont = rw.last_seq_out;
        bool started = rw.started;
        sy_rtp_rewriter_map(&rw, ssrc[layer], seq[layer], ts[layer], now, &so, &to);
        if (have_out && out_ssrc == ssrc[layer]) {
            REQUIRE((uint16_t)(so - last_out_seq) == (uint16_t)(seq[layer] - last_in_seq));
            REQUIRE(to - last_out_ts == ts[layer] - last_in_ts);
        } else if (started) {
            REQUIRE(so == (uint16_t)(prev_cont + 1));
        }
        have_out = true;
        out_ssrc = ssrc[layer];
        last_in_seq = seq[layer];
        last_out_seq = so;
        last_in_ts = ts[layer];
        last_out_ts = to;
    }
    return 0;
}
