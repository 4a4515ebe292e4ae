"""What the aiortc-based tests share: aiortc set up for a loopback-only namespace
(testing.md) and a synthetic video whose pixels carry a frame counter, so the far end
can check that echoed or forwarded frames are the ones sent, in order.

Importing this module applies the patches (once)."""

import aioice.ice
import aiortc.codecs
import numpy
from aiortc.mediastreams import VideoStreamTrack
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters
from av import VideoFrame

# aioice skips loopback; the namespace has nothing else.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
# aiortc as offerer gives video abs-send-time and audio ssrc-audio-level the same id in
# one BUNDLE; move the video one.
aiortc.codecs.HEADER_EXTENSIONS["video"] = [
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(
        id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
]

BITS = 10
BLOCK = 40


def block_xy(b):
    """Top-left corner of bit b's block: two rows of five."""
    return (b % 5) * 60 + 10, (b // 5) * 60 + 10


class CounterTrack(VideoStreamTrack):
    """320x240 frames whose blocks spell the frame number in binary."""

    def __init__(self):
        super().__init__()
        self.count = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        img = numpy.full((240, 320, 3), 96, dtype=numpy.uint8)
        n = self.count % (1 << BITS)
        for b in range(BITS):
            x, y = block_xy(b)
            img[y:y + BLOCK, x:x + BLOCK] = 255 if n >> b & 1 else 0
        self.count += 1
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def read_counter(frame):
    """The counter a decoded frame carries, or None when it is not readable."""
    img = frame.to_ndarray(format="bgr24")
    if img.shape[0] < 240 or img.shape[1] < 320:
        return None
    n = 0
    for b in range(BITS):
        x, y = block_xy(b)
        v = img[y + BLOCK // 4:y + 3 * BLOCK // 4, x + BLOCK // 4:x + 3 * BLOCK // 4].mean()
        if v > 175:
            n |= 1 << b
        elif v > 50:
            return None  # not a clean frame (e.g. a key frame still converging)
    return n
